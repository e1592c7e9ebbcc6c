#define REBUILD 1
#include "rebuild.inc"
