package moobox_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/applets"
)

// TestMain registers busybox and every applet as commands of the test
// binary, so scripts run "cowsay hi" or "busybox --list" as a user types
// them, through the same multicall dispatch as bin/busybox.
func TestMain(m *testing.M) {
	cmds := map[string]func(){
		"busybox": func() { os.Exit(applets.Busybox(applet.OS())) },
	}
	for _, n := range applets.Names() {
		cmds[n] = func() { os.Exit(applets.Busybox(applet.OS())) }
	}
	testscript.Main(m, cmds)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
