package moobox_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/applets"
)

// builtins are testscript's own script commands. Registering an applet of
// the same name would replace the builtin in every script ("cp stdout x",
// "env K=V" would run the applet), so those applets are reached through
// wrappers in $PATH instead (see setupPath).
var builtins = map[string]bool{
	"cd": true, "chmod": true, "cmp": true, "cmpenv": true, "cp": true, "env": true,
	"exec": true, "exists": true, "grep": true, "kill": true, "mkdir": true, "mv": true,
	"rm": true, "skip": true, "stdin": true, "stderr": true, "stdout": true, "stop": true,
	"symlink": true, "ttyin": true, "ttyout": true, "unquote": true, "wait": true,
}

// TestMain registers busybox and every applet as commands of the test
// binary, so scripts run "cowsay hi" or "busybox --list" as a user types
// them, through the same multicall dispatch as bin/busybox.
func TestMain(m *testing.M) {
	cmds := map[string]func(){
		"busybox": func() { os.Exit(applets.Busybox(applet.OS())) },
	}
	for _, n := range applets.Names() {
		if !builtins[n] {
			cmds[n] = func() { os.Exit(applets.Busybox(applet.OS())) }
		}
	}
	testscript.Main(m, cmds)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Setup: setupPath})
}

// setupPath puts "exec busybox NAME" wrappers for the applets named like
// testscript builtins first in $PATH, so "exec cp" and a shell's exec'd
// commands still find moobox's applet.
func setupPath(env *testscript.Env) error {
	dir := filepath.Join(env.WorkDir, ".applets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, n := range applets.Names() {
		if !builtins[n] {
			continue
		}
		script := "#!/bin/sh\nexec busybox " + n + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o755); err != nil {
			return err
		}
	}
	env.Setenv("PATH", dir+string(os.PathListSeparator)+env.Getenv("PATH"))
	return nil
}
