#define VARIANT "B"
#include "variant.inc"
