package image_test

import (
	"fmt"
	"strings"

	"github.com/boundlab/boundlab/internal/image"
)

// A Dockerfile in the style of 2023: Docker Hub's image, the set-up left to
// the start command.
func ExampleCheck() {
	problems, err := image.Check(strings.NewReader(`FROM jupyter/minimal-notebook:2023-10-20
WORKDIR /home/jovyan/boundlab
COPY . .
CMD ["start.sh", "boundlab", "lab"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// line 1: base: jupyter/minimal-notebook:2023-10-20 is on Docker Hub, where the jupyter/* images stopped being published in October 2023; use quay.io/jupyter/minimal-notebook
	// line 4: build-time: CMD runs boundlab at start; JupyterHub and Binder replace the command, so set the image up in a RUN
	// build-time: no RUN runs boundlab setup: the image must be set up at build time
	// system-jupyter: the image does not set BOUNDLAB_JUPYTER=system: boundlab lab, doctor and handouts in it would look for a venv the image does not have
	// system-jupyter: the image does not set BOUNDLAB_KERNELSPEC=prefix: boundlab lab and handouts in it would install a second kernel spec under $HOME, on the user's volume, where it goes stale with the image
	// outside-home: BOUNDLAB_ROOT is not set: the notebooks copied into $HOME would not find the project
	// outside-home: GOPATH is not set: Go's default is under $HOME, which JupyterHub covers with the user's volume
	// outside-home: GOMODCACHE is not set: Go's default is under $HOME, which JupyterHub covers with the user's volume
	// outside-home: GOCACHE is not set: Go's default is under $HOME, which JupyterHub covers with the user's volume
	// line 3: outside-home: the project is copied to /home/jovyan/boundlab, under /home
	// user: the image sets no USER: end with USER ${NB_UID}, the notebook user's numeric UID
	// expose: no EXPOSE 8888
	// notebooks-hook: no start hook is copied into /usr/local/bin/before-notebook.d: nothing would copy the notebooks into $HOME
}
