#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *banner = "OpenSSL 1.0.1f 6 Jan 2014";
const char *update = "http://updates.example.com/feed";
const char *aws = "AKIAIOSFODNN7EXAMPLE";
void run(const char *cmd) { system(cmd); }
void greet(char *name) { char buf[32]; strcpy(buf, name); printf(buf); printf("%s\n", banner); }
int main(int argc, char **argv) { char line[64]; if (argc > 1) greet(argv[1]); scanf("%s", line); run(line); puts(update); puts(aws); return 0; }
