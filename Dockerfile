# boundlab's lab in a container: JupyterLab with the GoNB kernel, serving
# notebooks/ on port 8888.
#
#   docker build -t boundlab .
#   docker run --rm -it -p 8888:8888 boundlab     # open the URL with the token it prints
#
# The base is a Jupyter Docker Stacks image (JupyterLab, nbconvert and
# nbclient in conda, user jovyan). The default is the last one published on
# Docker Hub; the Docker Stacks publish newer ones on their own registry:
# pass one with --build-arg BASE_IMAGE=... . Go and Node are copied from
# their official images; everything else is made by the project's own
# set-up step (make setup), the same one as outside the container.
ARG BASE_IMAGE=jupyter/minimal-notebook:2023-10-20
ARG GO_IMAGE=golang:1.26-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${GO_IMAGE} AS go
FROM ${NODE_IMAGE} AS node

FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

USER root
# make runs the set-up; the base image has no make.
RUN apt-get update --yes && \
    apt-get install --yes --no-install-recommends make && \
    apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=go /usr/local/go /usr/local/go
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && \
    install -d -o "${NB_UID}" -g "${NB_GID}" "/home/${NB_USER}/boundlab"

USER ${NB_UID}
ENV PATH="/home/${NB_USER}/boundlab/bin:/usr/local/go/bin:${PATH}"
WORKDIR /home/${NB_USER}/boundlab
COPY --chown=${NB_UID}:${NB_GID} . .
# The set-up finds the base image's JupyterLab and installs nothing of its
# own; it builds gonb, goimports and gopls into bin/, installs the gonb
# kernel spec for jovyan, and fetches ECharts with npm ci. Then the CLI, and
# the project's packages into the Go build cache, for fast first cells.
RUN make setup && \
    go build -o bin/boundlab ./cmd/boundlab && \
    go build ./... && \
    bin/boundlab doctor

EXPOSE 8888
# start.sh is the Docker Stacks' start-up (hooks, user switching); boundlab
# lab checks the set-up and runs `jupyter lab` on notebooks/.
CMD ["start.sh", "boundlab", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
