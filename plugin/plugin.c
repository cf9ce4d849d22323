/* plugin.c: the bnnlandmarks GStreamer plugin: registers the bnnlandmarks,
 * landmarkoverlay and landmarkexport elements. */
#include <gst/gst.h>

#include "elements.h"

GST_ELEMENT_REGISTER_DECLARE (bnndetect);


static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER (bnnlandmarks, plugin);
  ok |= GST_ELEMENT_REGISTER (landmarkoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER (landmarkexport, plugin);
  ok |= GST_ELEMENT_REGISTER (bnndetect, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, bnnlandmarks,
    "Binarized-network body and face landmarks: estimator, overlay and JSON exporter",
    plugin_init, BNNLM_VERSION, "LGPL", "bnnlandmarks", "built from the bnnlandmarks source tree")
