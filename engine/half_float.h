/* half_float.h: IEEE 754 binary16 <-> binary32, the f16 tensors and thresholds of model
 * format 2 (read by model_file.c, written by synth_model.c). */
#ifndef BNN_HALF_FLOAT_H
#define BNN_HALF_FLOAT_H
#include <stdint.h>

/* Exact: every half (subnormals, infinities, NaN payloads) has a float. */
float bnn_half_to_float(uint16_t h);
/* Round to nearest even; overflow gives infinity, underflow signed zero. */
uint16_t bnn_float_to_half(float f);

#endif
