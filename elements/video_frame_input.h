/* video_frame_input.h: fills a network input from a mapped GstVideoFrame (any of the
 * elements' raw formats), cropping only the region; shared by bnnlandmarks and bnndetect. */
#ifndef BNNLM_VIDEO_FRAME_INPUT_H
#define BNNLM_VIDEO_FRAME_INPUT_H

#include <gst/video/video.h>

#include "bnnlm/bnnlm.h"

/* Packed RGB orders, I420 and NV12 go to the engine's preprocessing, YUY2 to
 * landmark_preprocess_yuy2. The frame's format must be one of the elements' caps formats. */
void bnn_video_frame_to_input (const bnn_model * model, const GstVideoFrame * frame,
    const bnn_crop * crop, float *dst);

#endif
