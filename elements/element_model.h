/* element_model.h: what bnnlandmarks and bnndetect share around the engine: opening the
 * `model` property's network with GStreamer errors that name the file and the reason, and
 * the read-only in-place transform (they only read pixels). */
#ifndef BNNLM_ELEMENT_MODEL_H
#define BNNLM_ELEMENT_MODEL_H

#include <gst/video/gstvideofilter.h>

#include "bnnlm/bnnlm.h"

/* Resolves prop (a path or a shipped name), loads the model and creates a net with threads
 * (<= 0: one per core, at most 64) on isa. On failure posts a GST_ELEMENT_ERROR on el (no
 * model set, not found, not loadable, cannot run; `names` lists the shipped names in the
 * message), frees what it made and returns FALSE. */
gboolean bnn_element_open_model (GstElement * el, const gchar * prop, const gchar * names,
    gint threads, bnn_isa isa, gchar ** path, bnn_model ** model, bnn_net ** net);

typedef GstFlowReturn (*BnnFrameIpFunc) (GstVideoFilter * filter, GstVideoFrame * frame);

/* GstVideoFilter maps in-place frames read-write, which copies shared or read-only memory;
 * these elements only read the pixels, so map them read-only and call frame_ip. */
GstFlowReturn bnn_element_transform_ip_readonly (GstBaseTransform * trans, GstBuffer * buf,
    BnnFrameIpFunc frame_ip);

#endif
