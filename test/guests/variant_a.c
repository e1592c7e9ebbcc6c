#define VARIANT "A"
#include "variant.inc"
