#define DATA_FILE "sub/inner.txt"
#include "rebuild.inc"
