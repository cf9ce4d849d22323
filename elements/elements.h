/* elements.h: registration hooks of the plugin's elements (bnnlandmarks, landmarkoverlay,
 * landmarkexport), called by plugin/plugin.c. */
#ifndef BNNLM_ELEMENTS_H
#define BNNLM_ELEMENTS_H

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (bnnlandmarks);
GST_ELEMENT_REGISTER_DECLARE (landmarkoverlay);
GST_ELEMENT_REGISTER_DECLARE (landmarkexport);

G_END_DECLS

#endif
