/* rootstock: the first program the chain's own C compiler builds. */
#include <stdio.h>

int main(void)
{
  printf("Hello, world! from tinycc, grown from the hex0 seed\n");
  return 0;
}
