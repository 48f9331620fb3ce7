package main

import "syscall"

// childAttr makes a server process die with this program, so that an
// interrupted run (a test timeout, say) leaves no server behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
