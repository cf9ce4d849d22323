/* element_model.c: model opening and the read-only in-place transform shared by
 * bnnlandmarks and bnndetect (see element_model.h). */
#include "element_model.h"

#include <string.h>

gboolean
bnn_element_open_model (GstElement * el, const gchar * prop, const gchar * names,
    gint threads, bnn_isa isa, gchar ** path, bnn_model ** model, bnn_net ** net)
{
  char err[BNN_ERR_LEN] = "";
  char resolved[4096];

  *path = NULL;
  *model = NULL;
  *net = NULL;
  if (!prop || !*prop) {
    GST_ELEMENT_ERROR (el, RESOURCE, NOT_FOUND, ("No model set."),
        ("Set the 'model' property to a .bnn file or a shipped model name (%s).", names));
    return FALSE;
  }
  if (bnn_model_resolve (prop, resolved, sizeof resolved) != 0
      || !g_file_test (resolved, G_FILE_TEST_IS_REGULAR)) {
    if (strchr (prop, '/') || g_str_has_suffix (prop, ".bnn"))
      GST_ELEMENT_ERROR (el, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", prop), (NULL));
    else
      GST_ELEMENT_ERROR (el, RESOURCE, NOT_FOUND,
          ("Model \"%s\" not found: it is neither a file nor a shipped model (%s) in "
              "$BNNLM_MODEL_DIR, the source tree's models/ or the installed models "
              "directory.", prop, names), (NULL));
    return FALSE;
  }
  *model = bnn_model_load_file (resolved, err, sizeof err);
  if (!*model) {
    GST_ELEMENT_ERROR (el, RESOURCE, FAILED,
        ("Could not load model file \"%s\": %s", resolved, err), (NULL));
    return FALSE;
  }
  if (threads <= 0)
    threads = (gint) MIN (g_get_num_processors (), 64u);
  *net = bnn_net_create (*model, threads, isa, err, sizeof err);
  if (!*net) {
    GST_ELEMENT_ERROR (el, RESOURCE, SETTINGS,
        ("Could not prepare model \"%s\" to run: %s", resolved, err), (NULL));
    bnn_model_free (*model);
    *model = NULL;
    return FALSE;
  }
  *path = g_strdup (resolved);
  return TRUE;
}

GstFlowReturn
bnn_element_transform_ip_readonly (GstBaseTransform * trans, GstBuffer * buf,
    BnnFrameIpFunc frame_ip)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER_CAST (trans);
  GstVideoFrame frame;

  if (G_UNLIKELY (!filter->negotiated)) {
    GST_ELEMENT_ERROR (trans, CORE, NEGOTIATION, (NULL), ("not negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!gst_video_frame_map (&frame, &filter->in_info, buf,
          (GstMapFlags) (GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))) {
    GST_ELEMENT_WARNING (trans, STREAM, FAILED, (NULL), ("could not map a video frame"));
    return GST_FLOW_OK;
  }
  const GstFlowReturn ret = frame_ip (filter, &frame);
  gst_video_frame_unmap (&frame);
  return ret;
}
