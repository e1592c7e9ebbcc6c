#define EXTRA_FILE_WRITE 1
#include "rebuild.inc"
