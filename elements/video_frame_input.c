/* video_frame_input.c: fills a network input from a mapped GstVideoFrame, cropping only the
 * region; packed RGB orders, GRAY8, I420 and NV12 in the engine, YUY2 in preprocess_yuy2.c. */
#include "video_frame_input.h"

#include "preprocess_yuy2.h"

void
bnn_video_frame_to_input (const bnn_model * model, const GstVideoFrame * frame,
    const bnn_crop * crop, float *dst)
{
  const gint W = GST_VIDEO_FRAME_WIDTH (frame), H = GST_VIDEO_FRAME_HEIGHT (frame);
  const uint8_t *p0 = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  const size_t s0 = (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  bnn_pixfmt pix;

  switch (GST_VIDEO_FRAME_FORMAT (frame)) {
    case GST_VIDEO_FORMAT_RGB:
      pix = BNN_PIX_RGB;
      break;
    case GST_VIDEO_FORMAT_BGR:
      pix = BNN_PIX_BGR;
      break;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      pix = BNN_PIX_RGBX;
      break;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      pix = BNN_PIX_BGRX;
      break;
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_ARGB:
      pix = BNN_PIX_XRGB;
      break;
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ABGR:
      pix = BNN_PIX_XBGR;
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      /* monochrome and night-mode (IR) cameras: the luma in R, G and B, as videoconvert
       * would deliver it in RGB (docs/uses.md, "Grey cameras") */
      pix = BNN_PIX_GRAY;
      break;
    case GST_VIDEO_FORMAT_I420:
      bnn_preprocess_i420 (model, p0, s0, GST_VIDEO_FRAME_PLANE_DATA (frame, 1),
          (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1),
          GST_VIDEO_FRAME_PLANE_DATA (frame, 2),
          (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 2), W, H, crop, dst);
      return;
    case GST_VIDEO_FORMAT_NV12:
      bnn_preprocess_nv12 (model, p0, s0, GST_VIDEO_FRAME_PLANE_DATA (frame, 1),
          (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1), W, H, crop, dst);
      return;
    case GST_VIDEO_FORMAT_YUY2:
      landmark_preprocess_yuy2 (model, p0, W, H, s0, crop, dst);
      return;
    default:
      g_assert_not_reached ();
      return;
  }
  bnn_preprocess_packed (model, p0, W, H, s0, pix, crop, dst);
}
