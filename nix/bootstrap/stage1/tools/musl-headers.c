/* rootstock: the three headers musl's Makefile generates, written without sed (which the chain does not have
 * yet) and byte for byte what the Makefile's commands write:
 *
 *   obj/include/bits/alltypes.h   sed -f tools/mkalltypes.sed arch/ARCH/bits/alltypes.h.in include/alltypes.h.in
 *   obj/include/bits/syscall.h    cp arch/ARCH/bits/syscall.h.in; sed -n -e s/__NR_/SYS_/p < the same >> it
 *   obj/src/internal/version.h    printf '#define VERSION "%s"\n' VERSION
 *
 * Usage, in the unpacked musl tree: musl-headers ARCH VERSION. The directories obj/include/bits and
 * obj/src/internal must exist. Exits non-zero, naming the file, when one cannot be read or written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[512];

static FILE *open_file(const char *name, const char *mode)
{
  FILE *file = fopen(name, mode);

  if (!file) {
    fputs("musl-headers: cannot open ", stderr);
    fputs(name, stderr);
    fputs("\n", stderr);
    exit(1);
  }
  return file;
}

static int starts(const char *line, const char *prefix)
{
  return !strncmp(line, prefix, strlen(prefix));
}

/* mkalltypes.sed's TYPEDEF rule: `TYPEDEF <type> <name>;` with the name the last word. */
static int typedef_line(FILE *out, char *line)
{
  char *end = line + strlen(line);
  char *name;

  if (end == line || end[-1] != ';')
    return 0;
  end[-1] = 0;
  name = strrchr(line, ' ');
  if (!name || name < line + 8) {
    end[-1] = ';';
    return 0;
  }
  *name++ = 0;
  fprintf(out, "#if defined(__NEED_%s) && !defined(__DEFINED_%s)\n", name, name);
  fprintf(out, "typedef %s %s;\n", line + 8, name);
  fprintf(out, "#define __DEFINED_%s\n#endif\n\n", name);
  return 1;
}

/* mkalltypes.sed's STRUCT and UNION rules: `STRUCT <name> <body>;` (spaces after the keyword skipped). */
static int aggregate_line(FILE *out, char *line, const char *keyword, const char *kind)
{
  char *end = line + strlen(line);
  char *name = line + strlen(keyword);
  char *body;

  if (end == line || end[-1] != ';')
    return 0;
  while (*name == ' ')
    name++;
  body = strchr(name, ' ');
  if (!body)
    return 0;
  end[-1] = 0;
  *body++ = 0;
  fprintf(out, "#if defined(__NEED_%s_%s) && !defined(__DEFINED_%s_%s)\n", kind, name, kind, name);
  fprintf(out, "%s %s %s;\n", kind, name, body);
  fprintf(out, "#define __DEFINED_%s_%s\n#endif\n\n", kind, name);
  return 1;
}

static void alltypes(FILE *out, const char *name)
{
  char line[1024];
  FILE *in = open_file(name, "r");

  while (fgets(line, sizeof line, in)) {
    size_t length = strlen(line);
    int newline = length && line[length - 1] == '\n';
    int done = 0;

    if (newline)
      line[length - 1] = 0;
    if (starts(line, "TYPEDEF "))
      done = typedef_line(out, line);
    else if (starts(line, "STRUCT"))
      done = aggregate_line(out, line, "STRUCT", "struct");
    else if (starts(line, "UNION"))
      done = aggregate_line(out, line, "UNION", "union");
    if (!done)
      fprintf(out, "%s%s", line, newline ? "\n" : "");
  }
  fclose(in);
}

static void syscalls(const char *name)
{
  char line[1024];
  FILE *in = open_file(name, "r");
  FILE *out = open_file("obj/include/bits/syscall.h", "w");

  while (fgets(line, sizeof line, in))
    fputs(line, out);
  fclose(in);
  in = open_file(name, "r");
  while (fgets(line, sizeof line, in)) {
    char *at = strstr(line, "__NR_");

    if (at) {
      *at = 0;
      fprintf(out, "%sSYS_%s", line, at + 5);
    }
  }
  fclose(in);
  fclose(out);
}

int main(int argc, char **argv)
{
  FILE *out;

  if (argc != 3) {
    fputs("usage: musl-headers ARCH VERSION (in the musl tree)\n", stderr);
    return 2;
  }
  out = open_file("obj/include/bits/alltypes.h", "w");
  strcpy(path, "arch/");
  strcat(path, argv[1]);
  strcat(path, "/bits/alltypes.h.in");
  alltypes(out, path);
  alltypes(out, "include/alltypes.h.in");
  fclose(out);

  strcpy(path, "arch/");
  strcat(path, argv[1]);
  strcat(path, "/bits/syscall.h.in");
  syscalls(path);

  out = open_file("obj/src/internal/version.h", "w");
  fprintf(out, "#define VERSION \"%s\"\n", argv[2]);
  fclose(out);
  return 0;
}
