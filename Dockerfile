# boundlab's lab as one image for one person (docker run), a class (the
# single-user image of a JupyterHub) and a Binder demo: JupyterLab with the
# GoNB kernel, Go, the project built, and the notebooks. README.md, section
# "Docker: one person, a class, a Binder demo", says how to run it in each.
#
#   docker build -t boundlab .
#   docker run --rm -p 8888:8888 boundlab     # open the 127.0.0.1 URL it prints
#
# Everything is made at build time: JupyterHub and Binder start the image
# with a command of their own (they replace CMD), so nothing may depend on
# one. Whatever the notebooks need lives outside $HOME, because JupyterHub
# (Zero to JupyterHub) mounts the user's volume over it: the project and its
# bin/, Go's module and build caches, and the gonb kernel spec, which goes
# into the conda environment's prefix. The base image's start-up (tini,
# start.sh) runs our hook before Jupyter, everywhere: it copies the notebooks
# into ~/boundlab-notebooks when they are not there yet, so a user's saved
# work stays on the volume. This file sets no CMD: the base image's
# start-notebook.py serves JupyterLab on port 8888 from $HOME.
#
# go test ./internal/image checks these rules on this file.

# The base: Jupyter Docker Stacks' minimal-notebook from quay.io (Docker
# Hub's jupyter/* images have not been published since October 2023), the
# weekly build of 2026-10-05: Ubuntu 24.04, Python 3.13, JupyterLab 4.6 and
# Notebook 7 from conda-forge (4.6.4 was JupyterLab's newest release then),
# user jovyan (NB_UID 1000, group users NB_GID 100) owning /opt/conda.
# boundlab setup says when its Jupyter is older than the one tested.
ARG BASE_IMAGE=quay.io/jupyter/minimal-notebook:2026-10-05
# Go at go.mod's version, and Node for npm (which fetches ECharts), copied
# in from their official images.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

FROM ${GO_IMAGE} AS go
FROM ${NODE_IMAGE} AS node

FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# BOUNDLAB_ROOT     the project; bin/ holds boundlab, gonb, goimports, gopls.
#                   The notebooks' first cell links a copy of a notebook to it.
# BOUNDLAB_JUPYTER  boundlab lab, doctor and handouts use the image's Jupyter,
# BOUNDLAB_KERNELSPEC and keep the gonb kernel spec in its prefix.
# GOPATH, GOMODCACHE, GOCACHE
#                   the modules (all downloaded at build time) and the build
#                   cache (warm with what the notebooks compile), writable by
#                   the notebook user.
# GOTOOLCHAIN       the Go copied in, never one downloaded.
# CGO_ENABLED       no C compiler needed to compile a cell.
ENV BOUNDLAB_ROOT=/opt/boundlab \
    BOUNDLAB_JUPYTER=system \
    BOUNDLAB_KERNELSPEC=prefix \
    GOPATH=/opt/go \
    GOMODCACHE=/opt/go/pkg/mod \
    GOCACHE=/opt/go/cache \
    GOTOOLCHAIN=local \
    CGO_ENABLED=0
ENV PATH="${BOUNDLAB_ROOT}/bin:/usr/local/go/bin:${PATH}"

USER root
COPY --from=go /usr/local/go /usr/local/go
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && \
    install -d -o "${NB_UID}" -g "${NB_GID}" "${BOUNDLAB_ROOT}" "${GOPATH}"
# The start hook: start.sh runs the executables in before-notebook.d.
COPY docker/before-notebook.d/ /usr/local/bin/before-notebook.d/

USER ${NB_UID}
WORKDIR ${BOUNDLAB_ROOT}
COPY --chown=${NB_UID}:${NB_GID} . .
# The set-up, as the notebook user, with a throwaway HOME, so that nothing
# the image needs is left under $HOME: the tools into bin/, the kernel spec
# into the base image's Jupyter (its prefix, /opt/conda/share/jupyter),
# ECharts into charts/assets. Then the boundlab command (built after the
# set-up: it embeds ECharts), the project's packages into the build cache,
# the doctor's check of every piece, and one notebook executed for real
# through the kernel (its handout thrown away), which also compiles what a
# notebook's cells compile.
RUN HOME="$(mktemp -d)" && export HOME && \
    go run ./cmd/boundlab setup --jupyter=system --kernelspec=prefix && \
    go build -o bin/boundlab ./cmd/boundlab && \
    go build ./... && \
    boundlab doctor && \
    boundlab handouts --quick --out "${HOME}/handouts" notebooks/00-diagnosis.ipynb && \
    rm -rf node_modules "${HOME}" && \
    fix-permissions "${BOUNDLAB_ROOT}" "${GOPATH}"

WORKDIR ${HOME}
EXPOSE 8888
