/* A small program for the README walkthrough: main -> run -> execute -> system. */
#include <stdio.h>
#include <stdlib.h>

static char command[256];

__attribute__((noinline)) int execute(const char *cmd) { return system(cmd); }

__attribute__((noinline)) int run(const char *arg) {
    snprintf(command, sizeof command, "echo %s", arg);
    return execute(command);
}

__attribute__((noinline)) void banner(void) { puts("demo: runs a shell command"); }

int main(int argc, char **argv) {
    banner();
    return run(argc > 1 ? argv[1] : "hello");
}
