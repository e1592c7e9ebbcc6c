#include "rebuild.inc"
