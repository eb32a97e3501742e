/* rootstock: what a C compiler and its C library must get right before anything is built with them.
 *
 * Run as `check OUT a b c`: checks argv, malloc/free, formatting of integers and floating-point numbers, file
 * output and input (writing OUT, reading it back), and string functions, then writes one line per check to
 * OUT. The exit status is the number of failed checks, so a step running it under kaem --strict fails when
 * any does. `check --record OUT a b c` exits 0 whatever fails: for a C library known to fail some checks,
 * whose step pins the report itself (any change in what passes changes the step's output hash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static char report[4096];

static void check(const char *what, int ok)
{
  strcat(report, ok ? "ok   " : "FAIL ");
  strcat(report, what);
  strcat(report, "\n");
  if (!ok)
    failures++;
}

/* A formatting check names what it got when it fails. */
static void check_text(const char *what, const char *got, const char *expected)
{
  char line[256];
  int ok = !strcmp(got, expected);

  if (ok)
    check(what, 1);
  else {
    strcpy(line, what);
    strcat(line, ": got \"");
    strcat(line, got);
    strcat(line, "\", expected \"");
    strcat(line, expected);
    strcat(line, "\"");
    check(line, 0);
  }
}

int main(int argc, char **argv)
{
  int record = argc > 1 && !strcmp(argv[1], "--record");
  char buffer[128];
  unsigned char *block;
  FILE *file;
  size_t length;
  int i;
  long sum;
  double half = 0.5;
  double third = 1.0 / 3.0;

  report[0] = 0;
  if (record) {
    argc--;
    argv++;
  }
  check("argc is 5", argc == 5);
  check("argv[2..4] are a b c", argc == 5 && !strcmp(argv[2], "a") && !strcmp(argv[3], "b") && !strcmp(argv[4], "c"));

  block = malloc(100000);
  check("malloc of 100000 bytes", block != 0);
  for (i = 0; i < 100000; i++)
    block[i] = (unsigned char) (i % 251);
  sum = 0;
  for (i = 0; i < 100000; i++)
    sum += block[i];
  check("the block holds what was written", sum == 12492401);
  free(block);
  block = malloc(16);
  check("malloc after free", block != 0);
  free(block);

  sprintf(buffer, "%d %d %u %x %ld", 42, -7, 3000000000u, 255, 1234567890L);
  check_text("integers: %d %d %u %x %ld", buffer, "42 -7 3000000000 ff 1234567890");
  sprintf(buffer, "%5d|%-5d|%05d", 12, 34, 56);
  check_text("integer widths: %5d %-5d %05d", buffer, "   12|34   |00056");
  sprintf(buffer, "%s %c %%", "text", 'x');
  check_text("strings and characters: %s %c %%", buffer, "text x %");
  sprintf(buffer, "%.1f", half);
  check_text("floating point: %.1f of 0.5", buffer, "0.5");
  sprintf(buffer, "%.3f", third);
  check_text("floating point: %.3f of 1/3", buffer, "0.333");
  sprintf(buffer, "%.2f", 2.0 * 1.25 + 0.01);
  check_text("floating point: %.2f of 2.51", buffer, "2.51");
  check("floating point arithmetic: 0.1 + 0.2 > 0.3", 0.1 + 0.2 > 0.3);
  check("floating point comparison: 1/3 between 0.333 and 0.334", third > 0.333 && third < 0.334);

  file = fopen(argv[1], "w");
  check("fopen for writing", file != 0);
  if (file) {
    fputs("first line\n", file);
    fprintf(file, "second %d\n", 2);
    fclose(file);
  }
  file = fopen(argv[1], "r");
  check("fopen for reading", file != 0);
  if (file) {
    length = fread(buffer, 1, sizeof buffer - 1, file);
    buffer[length] = 0;
    fclose(file);
    check("what was written is read back", !strcmp(buffer, "first line\nsecond 2\n"));
  }

  check("strlen", strlen("bootstrap") == 9);
  check("strchr", strchr("bootstrap", 's') != 0 && *strchr("bootstrap", 's') == 's');
  check("memcmp", memcmp("abc", "abd", 3) < 0);

  file = fopen(argv[1], "w");
  if (file) {
    fputs(report, file);
    fprintf(file, "%d failed\n", failures);
    fclose(file);
  }
  return record ? 0 : failures;
}
