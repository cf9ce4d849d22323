/* preprocess_yuy2.h: crop + bilinear resize of a packed YUY2 frame into a network input
 * (the engine takes packed RGB and planar YUV; YUY2 is converted here). */
#ifndef BNNLM_PREPROCESS_YUY2_H
#define BNNLM_PREPROCESS_YUY2_H

#include <stddef.h>
#include <stdint.h>

#include "bnnlm/bnnlm.h"

/* Same contract as bnn_preprocess_packed: dst is S x S x 3 floats (RGB, HWC) normalised
 * with the model's mean/std; samples outside the image are black. BT.601 limited range. */
void landmark_preprocess_yuy2 (const bnn_model * m, const uint8_t * img, int w, int h,
    size_t stride, const bnn_crop * crop, float *dst);

#endif
