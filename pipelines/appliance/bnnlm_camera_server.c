/* bnnlm_camera_server.c: the camera appliance: an always-running capture + landmark pipeline,
 * its annotated video served over RTSP (gst-rtsp-server) and its landmarks as JSON lines on TCP. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

/* How the pieces fit (see docs/appliance.md):
 *
 *   capture pipeline (always PLAYING, rebuilt by the watchdog when the source stalls):
 *     SOURCE ! convert/scale/rate ! WxH@FPS ! queue ! bnnlandmarks ! landmarkoverlay
 *       ! landmarkexport post-messages=true ! I420 ! intervideosink channel=C
 *   RTSP media (one, shared by all RTSP clients, built when the first client asks):
 *     intervideosrc channel=C ! I420 WxH@FPS ! x264enc ! rtph264pay name=pay0
 *   landmarkexport's element messages on the capture bus -> one JSON line to every TCP client.
 *
 * Exit codes: 0 clean stop (SIGINT/SIGTERM, or end of file with --once), 1 bad command line,
 * 2 source problem at start, 3 model problem, 4 cannot listen on a port, 5 other failure. */

#define PROG "bnnlm-camera-server"

enum {
  EXIT_OK = 0,
  EXIT_USAGE = 1,
  EXIT_SOURCE = 2,
  EXIT_MODEL = 3,
  EXIT_NETWORK = 4,
  EXIT_OTHER = 5
};

/* The element message landmarkexport posts per frame when post-messages=true
 * (elements/landmark_export.c): structure name and the string field with the JSON line. */
#define EXPORT_MESSAGE_NAME "landmarks"
#define EXPORT_MESSAGE_FIELD "json"

/* A JSON client that does not read is dropped once this much is queued for it. */
#define JSON_CLIENT_MAX_PENDING (4u << 20)

typedef enum { SOURCE_V4L2, SOURCE_FILE, SOURCE_TEST, SOURCE_LAUNCH } SourceKind;

typedef struct {
  /* command line */
  gchar *source;
  gchar *model;
  gchar *detector; /* a model name or path, or "none" */
  gint threads;
  gchar *address;
  gint rtsp_port;
  gchar *mount;
  gint json_port;
  gint width, height, fps;
  gint bitrate;
  gdouble stall_timeout;
  gint inference_interval;
  gboolean once;

  SourceKind kind;
  const gchar *source_arg; /* device, path or launch description (inside source) */

  GMainLoop *loop;
  int exit_code;

  /* capture pipeline */
  gchar *channel;
  GstElement *pipeline;
  guint bus_watch;
  gboolean ever_had_frame;        /* some run of the pipeline produced a frame */
  gboolean run_had_frame;         /* the current run did */
  gint64 run_started_us;          /* monotonic time the current run was started */
  guint64 run_start_frames;       /* frames counted when it was started */
  gint64 stalled_since_us;        /* 0 unless a stall was reported and not yet recovered */
  guint restarts;
  guint restart_timer;            /* pending delayed restart, 0 if none */
  guint watchdog_timer;
  guint signal_watch[2];
  guint error_backoff_s;
  _Atomic gint64 last_frame_us;   /* written by the streaming thread (pad probe) */
  _Atomic guint64 frames;         /* frames that entered the analysis */
  guint64 json_lines;

  /* RTSP */
  GstRTSPServer *rtsp;
  guint rtsp_source;
  guint rtsp_cleanup_timer;

  /* JSON lines over TCP */
  GSocketService *json_service;
  GList *json_clients; /* JsonClient* */
  guint json_port_bound;
} Server;

typedef struct {
  Server *srv;
  GSocketConnection *conn;
  gchar *peer;
  GByteArray *pending;
  GSource *write_source;
  GSource *read_source;
} JsonClient;

/* ---------------------------------------------------------------- logging */

static void log_msg(const gchar *fmt, ...) G_GNUC_PRINTF(1, 2);
static void log_msg(const gchar *fmt, ...) {
  va_list ap;
  GDateTime *now = g_date_time_new_now_local();
  gchar *stamp = g_date_time_format(now, "%H:%M:%S");
  gchar *text;
  va_start(ap, fmt);
  text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s %s: %s\n", stamp, PROG, text);
  fflush(stderr);
  g_free(text);
  g_free(stamp);
  g_date_time_unref(now);
}

static void fatal(Server *srv, int code, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fatal(Server *srv, int code, const gchar *fmt, ...) {
  va_list ap;
  gchar *text;
  va_start(ap, fmt);
  text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s: error: %s\n", PROG, text);
  fflush(stderr);
  g_free(text);
  if (srv->exit_code == EXIT_OK)
    srv->exit_code = code;
  if (srv->loop && g_main_loop_is_running(srv->loop))
    g_main_loop_quit(srv->loop);
}

/* ---------------------------------------------------------------- JSON clients */

static void json_client_flush(JsonClient *c);

static void json_client_drop(JsonClient *c, const gchar *why) {
  Server *srv = c->srv;
  srv->json_clients = g_list_remove(srv->json_clients, c);
  if (why)
    log_msg("JSON client %s dropped: %s (%u left)", c->peer, why,
            g_list_length(srv->json_clients));
  if (c->write_source) {
    g_source_destroy(c->write_source);
    g_source_unref(c->write_source);
  }
  if (c->read_source) {
    g_source_destroy(c->read_source);
    g_source_unref(c->read_source);
  }
  g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
  g_object_unref(c->conn);
  g_byte_array_unref(c->pending);
  g_free(c->peer);
  g_free(c);
}

static gboolean json_client_writable(GObject *stream, gpointer data) {
  JsonClient *c = data;
  (void)stream;
  g_source_destroy(c->write_source);
  g_source_unref(c->write_source);
  c->write_source = NULL;
  json_client_flush(c); /* may drop c */
  return G_SOURCE_REMOVE;
}

/* Write what is queued without blocking; wait for writability for the rest. */
static void json_client_flush(JsonClient *c) {
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
  while (c->pending->len > 0) {
    GError *err = NULL;
    gssize n = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out),
                                                          c->pending->data, c->pending->len,
                                                          NULL, &err);
    if (n > 0) {
      g_byte_array_remove_range(c->pending, 0, (guint)n);
      continue;
    }
    if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free(err);
      if (!c->write_source) {
        c->write_source = g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(out),
                                                                 NULL);
        g_source_set_callback(c->write_source, G_SOURCE_FUNC(json_client_writable), c, NULL);
        g_source_attach(c->write_source, NULL);
      }
      return;
    }
    json_client_drop(c, err ? err->message : "write failed");
    if (err)
      g_error_free(err);
    return;
  }
}

/* Clients only listen; anything they send is discarded, end of stream means they left. */
static gboolean json_client_readable(GObject *stream, gpointer data) {
  JsonClient *c = data;
  guint8 buf[512];
  GError *err = NULL;
  gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream), buf,
                                                      sizeof buf, NULL, &err);
  if (n > 0)
    return G_SOURCE_CONTINUE;
  if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    g_error_free(err);
    return G_SOURCE_CONTINUE;
  }
  json_client_drop(c, n == 0 ? "disconnected" : err->message);
  if (err)
    g_error_free(err);
  return G_SOURCE_REMOVE;
}

static gboolean json_incoming(GSocketService *service, GSocketConnection *conn,
                              GObject *source_object, gpointer data) {
  Server *srv = data;
  JsonClient *c = g_new0(JsonClient, 1);
  GSocketAddress *addr = g_socket_connection_get_remote_address(conn, NULL);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  (void)service;
  (void)source_object;

  c->srv = srv;
  c->conn = g_object_ref(conn);
  c->pending = g_byte_array_new();
  if (addr && G_IS_INET_SOCKET_ADDRESS(addr)) {
    gchar *ip = g_inet_address_to_string(
        g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr)));
    c->peer = g_strdup_printf("%s:%u", ip,
                              g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
    g_free(ip);
  } else {
    c->peer = g_strdup("?");
  }
  if (addr)
    g_object_unref(addr);
  g_socket_set_keepalive(g_socket_connection_get_socket(conn), TRUE);

  c->read_source = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(in), NULL);
  g_source_set_callback(c->read_source, G_SOURCE_FUNC(json_client_readable), c, NULL);
  g_source_attach(c->read_source, NULL);

  srv->json_clients = g_list_append(srv->json_clients, c);
  log_msg("JSON client %s connected (%u connected)", c->peer, g_list_length(srv->json_clients));
  return TRUE;
}

static void json_broadcast(Server *srv, const gchar *line) {
  gsize len = strlen(line);
  GList *l = srv->json_clients;
  srv->json_lines++;
  while (l) {
    GList *next = l->next; /* the client may be dropped below */
    JsonClient *c = l->data;
    if (c->pending->len + len + 1 > JSON_CLIENT_MAX_PENDING) {
      json_client_drop(c, "not reading (send queue full)");
    } else {
      g_byte_array_append(c->pending, (const guint8 *)line, (guint)len);
      g_byte_array_append(c->pending, (const guint8 *)"\n", 1);
      if (!c->write_source)
        json_client_flush(c);
    }
    l = next;
  }
}

static gboolean json_start(Server *srv, GError **error) {
  GInetAddress *ia = g_inet_address_new_from_string(srv->address);
  GSocketAddress *sa, *effective = NULL;
  if (!ia) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an IP address",
                srv->address);
    return FALSE;
  }
  sa = g_inet_socket_address_new(ia, (guint16)srv->json_port);
  g_object_unref(ia);
  srv->json_service = g_socket_service_new();
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(srv->json_service), sa,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                     &effective, error)) {
    g_object_unref(sa);
    return FALSE;
  }
  g_object_unref(sa);
  srv->json_port_bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
  g_object_unref(effective);
  g_signal_connect(srv->json_service, "incoming", G_CALLBACK(json_incoming), srv);
  g_socket_service_start(srv->json_service);
  return TRUE;
}

static void json_stop(Server *srv) {
  while (srv->json_clients)
    json_client_drop(srv->json_clients->data, NULL);
  if (srv->json_service) {
    g_socket_service_stop(srv->json_service);
    g_socket_listener_close(G_SOCKET_LISTENER(srv->json_service));
    g_object_unref(srv->json_service);
    srv->json_service = NULL;
  }
}

/* ---------------------------------------------------------------- RTSP */

static gboolean rtsp_cleanup(gpointer data) {
  Server *srv = data;
  GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool(srv->rtsp);
  gst_rtsp_session_pool_cleanup(pool);
  g_object_unref(pool);
  return G_SOURCE_CONTINUE;
}

static void rtsp_client_closed(GstRTSPClient *client, gpointer data) {
  const gchar *ip = g_object_get_data(G_OBJECT(client), "bnnlm-peer");
  (void)data;
  log_msg("RTSP client %s left", ip ? ip : "?");
}

static void rtsp_client_connected(GstRTSPServer *server, GstRTSPClient *client, gpointer data) {
  GstRTSPConnection *conn = gst_rtsp_client_get_connection(client);
  const gchar *ip = conn ? gst_rtsp_connection_get_ip(conn) : NULL;
  (void)server;
  (void)data;
  g_object_set_data_full(G_OBJECT(client), "bnnlm-peer", g_strdup(ip ? ip : "?"), g_free);
  log_msg("RTSP client %s connected", ip ? ip : "?");
  g_signal_connect(client, "closed", G_CALLBACK(rtsp_client_closed), NULL);
}

static gboolean rtsp_start(Server *srv, GError **error) {
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  gchar *service = g_strdup_printf("%d", srv->rtsp_port);
  gchar *launch;
  GSource *src;
  GstRTSPThreadPool *pool;
  int keyint = srv->fps > 0 ? srv->fps : 30; /* a key frame a second: late joiners wait <= 1 s */

  srv->rtsp = gst_rtsp_server_new();
  gst_rtsp_server_set_address(srv->rtsp, srv->address);
  gst_rtsp_server_set_service(srv->rtsp, service);
  g_free(service);
  /* Clients are served on this main context, not on a pool thread. GStreamer 1.22's
   * gst_rtsp_connection_close() is not safe against a read in progress on another thread:
   * closing a client from here (rtsp_stop) while its pool thread parsed a request left that
   * thread spinning on a NULL input stream (fixed upstream in 1.26, MR !7210). With no pool
   * threads every read and every close runs on this thread. */
  pool = gst_rtsp_server_get_thread_pool(srv->rtsp);
  gst_rtsp_thread_pool_set_max_threads(pool, 0);
  g_object_unref(pool);

  /* intervideosrc repeats the last frame, then sends black after 1 s without frames: an
   * RTSP client sees a stall or a source restart as a frozen/black picture, never a hang-up. */
  launch = g_strdup_printf(
      "( intervideosrc channel=%s timeout=1000000000 "
      "! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 "
      "! queue max-size-buffers=2 leaky=downstream "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d "
      "! video/x-h264,profile=constrained-baseline "
      "! rtph264pay name=pay0 pt=96 config-interval=-1 )",
      srv->channel, srv->width, srv->height, srv->fps, srv->bitrate, keyint);
  factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch);
  g_free(launch);
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  mounts = gst_rtsp_server_get_mount_points(srv->rtsp);
  gst_rtsp_mount_points_add_factory(mounts, srv->mount, factory);
  g_object_unref(mounts);

  g_signal_connect(srv->rtsp, "client-connected", G_CALLBACK(rtsp_client_connected), srv);
  src = gst_rtsp_server_create_source(srv->rtsp, NULL, error);
  if (!src)
    return FALSE;
  srv->rtsp_source = g_source_attach(src, NULL);
  g_source_unref(src);
  srv->rtsp_cleanup_timer = g_timeout_add_seconds(2, rtsp_cleanup, srv);
  return TRUE;
}

static GstRTSPFilterResult rtsp_remove_client(GstRTSPServer *server, GstRTSPClient *client,
                                              gpointer data) {
  (void)server;
  (void)client;
  (void)data;
  return GST_RTSP_FILTER_REMOVE;
}

static void rtsp_stop(Server *srv) {
  if (!srv->rtsp)
    return;
  if (srv->rtsp_cleanup_timer)
    g_source_remove(srv->rtsp_cleanup_timer);
  if (srv->rtsp_source)
    g_source_remove(srv->rtsp_source);
  g_list_free_full(gst_rtsp_server_client_filter(srv->rtsp, rtsp_remove_client, NULL),
                   g_object_unref);
  g_object_unref(srv->rtsp);
  srv->rtsp = NULL;
}

/* ---------------------------------------------------------------- capture pipeline */

static gchar *source_description(const Server *srv) {
  switch (srv->kind) {
  case SOURCE_V4L2:
    /* Ask the camera for the wanted size first (raw or MJPEG), else take what it offers. */
    return g_strdup_printf(
        "v4l2src name=src ! capsfilter caps=\""
        "video/x-raw,width=%d,height=%d,framerate=%d/1; "
        "image/jpeg,width=%d,height=%d,framerate=%d/1; "
        "video/x-raw,width=%d,height=%d; image/jpeg,width=%d,height=%d; video/x-raw; image/jpeg\" "
        "! decodebin name=dec",
        srv->width, srv->height, srv->fps, srv->width, srv->height, srv->fps,
        srv->width, srv->height, srv->width, srv->height);
  case SOURCE_FILE:
    return g_strdup("filesrc name=src ! decodebin name=dec");
  case SOURCE_TEST:
    return g_strdup("videotestsrc is-live=true pattern=ball name=src");
  case SOURCE_LAUNCH:
  default:
    return g_strdup(srv->source_arg);
  }
}

static gboolean has_detector(const Server *srv) {
  return g_strcmp0(srv->detector, "none") != 0;
}

static gchar *pipeline_description(const Server *srv) {
  gchar *src = source_description(srv);
  /* the detector finds every person and face; bnnlandmarks runs once per region of its kind */
  gchar *det = has_detector(srv)
                   ? g_strdup_printf("! bnndetect name=detector threads=%d inference-interval=%d ",
                                     srv->threads, srv->inference_interval)
                   : g_strdup("");
  gchar *d = g_strdup_printf(
      /* videoconvert first: it only links to decodebin's video pad, never to an audio one */
      "%s ! videoconvert name=srcconv ! queue max-size-buffers=4 ! videoscale "
      /* exactly --fps from the first frame on (not from time 0: no burst of copies when a
       * live source starts late); drop-only would abort on variable-rate sources (1.22) */
      "! videorate skip-to-first=true "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1 "
      "! identity name=framewatch "
      "! queue name=analysisq max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
      "%s! bnnlandmarks name=analysis threads=%d inference-interval=%d skip-when-busy=true "
      "max-instances=8 "
      "! landmarkoverlay name=overlay ! landmarkexport name=export post-messages=true "
      "! videoconvert ! video/x-raw,format=I420 "
      /* sync paces files in real time; late frames (live sources) are passed, never dropped */
      "! intervideosink name=out channel=%s sync=true max-lateness=-1 qos=false",
      src, srv->width, srv->height, srv->fps, det, srv->threads, srv->inference_interval,
      srv->channel);
  g_free(det);
  g_free(src);
  return d;
}

static GstPadProbeReturn frame_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  Server *srv = data;
  (void)pad;
  (void)info;
  atomic_store(&srv->last_frame_us, g_get_monotonic_time());
  atomic_fetch_add(&srv->frames, 1);
  return GST_PAD_PROBE_OK;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data);

/* decodebin has exposed all its streams. If none of them was video (an audio file, or
 * data that type-finds as audio), nothing links to videoconvert and the run would only
 * stall: turn that into an error from the source, which on_bus reports like any other. */
static void on_no_more_pads(GstElement *dec, gpointer data) {
  GstElement *conv = data;
  GstPad *sink = gst_element_get_static_pad(conv, "sink");
  gboolean linked = gst_pad_is_linked(sink);
  gst_object_unref(sink);
  if (!linked) {
    GError *err = g_error_new(GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
                              "the input has no video stream");
    gst_element_post_message(
        dec, gst_message_new_error(GST_OBJECT(dec), err,
                                   "decodebin exposed its streams and none of them is video"));
    g_error_free(err);
  }
}

static void set_string_property(GstElement *bin, const gchar *element, const gchar *prop,
                                const gchar *value) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(bin), element);
  g_object_set(e, prop, value, NULL);
  gst_object_unref(e);
}

static gboolean pipeline_create(Server *srv, GError **error) {
  gchar *desc = pipeline_description(srv);
  GstElement *p = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  GstElement *watch, *dec;
  GstPad *pad;
  GstBus *bus;
  g_free(desc);
  if (!p)
    return FALSE;
  gst_object_set_name(GST_OBJECT(p), "capture");
  /* Paths go in as properties, not through the parser's quoting. */
  set_string_property(p, "analysis", "model", srv->model);
  if (has_detector(srv))
    set_string_property(p, "detector", "model", srv->detector);
  if (srv->kind == SOURCE_V4L2)
    set_string_property(p, "src", "device", srv->source_arg);
  else if (srv->kind == SOURCE_FILE)
    set_string_property(p, "src", "location", srv->source_arg);
  /* the v4l2 and file sources decode; a launch: source is the user's own pipeline */
  dec = srv->kind == SOURCE_V4L2 || srv->kind == SOURCE_FILE
            ? gst_bin_get_by_name(GST_BIN(p), "dec")
            : NULL;
  if (dec) {
    GstElement *conv = gst_bin_get_by_name(GST_BIN(p), "srcconv");
    /* the bin holds conv as long as dec, so the handler may keep a plain pointer */
    g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), conv);
    gst_object_unref(conv);
    gst_object_unref(dec);
  }
  watch = gst_bin_get_by_name(GST_BIN(p), "framewatch");
  pad = gst_element_get_static_pad(watch, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, srv, NULL);
  gst_object_unref(pad);
  gst_object_unref(watch);
  bus = gst_element_get_bus(p);
  srv->bus_watch = gst_bus_add_watch(bus, on_bus, srv);
  gst_object_unref(bus);
  srv->pipeline = p;
  return TRUE;
}

static void pipeline_destroy(Server *srv) {
  if (!srv->pipeline)
    return;
  gst_element_set_state(srv->pipeline, GST_STATE_NULL);
  if (srv->bus_watch)
    g_source_remove(srv->bus_watch);
  srv->bus_watch = 0;
  gst_object_unref(srv->pipeline);
  srv->pipeline = NULL;
}

/* (Re)build the capture pipeline and set it playing. FALSE only if it cannot be built. */
static gboolean pipeline_start(Server *srv) {
  GError *err = NULL;
  pipeline_destroy(srv);
  if (!pipeline_create(srv, &err)) {
    fatal(srv, EXIT_OTHER, "cannot build the capture pipeline: %s", err->message);
    g_error_free(err);
    return FALSE;
  }
  srv->run_had_frame = FALSE;
  srv->run_started_us = g_get_monotonic_time();
  srv->run_start_frames = atomic_load(&srv->frames);
  atomic_store(&srv->last_frame_us, srv->run_started_us);
  /* A live source (camera, network) must never wait for the analysis: let the queue in
   * front of it drop old frames. A file is paced by the sink instead and loses nothing.
   * A failed state change posts an ERROR on the bus; on_bus decides what it means. */
  if (gst_element_set_state(srv->pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_NO_PREROLL) {
    GstElement *q = gst_bin_get_by_name(GST_BIN(srv->pipeline), "analysisq");
    gst_util_set_object_arg(G_OBJECT(q), "leaky", "downstream");
    gst_object_unref(q);
  }
  gst_element_set_state(srv->pipeline, GST_STATE_PLAYING);
  return TRUE;
}

static gboolean restart_now(gpointer data) {
  Server *srv = data;
  srv->restart_timer = 0;
  srv->restarts++;
  pipeline_start(srv);
  return G_SOURCE_REMOVE;
}

static void schedule_restart(Server *srv, guint delay_s) {
  if (srv->restart_timer)
    return;
  /* Stop the broken run at once, so it posts nothing more while we wait. */
  pipeline_destroy(srv);
  if (delay_s == 0)
    srv->restart_timer = g_idle_add(restart_now, srv);
  else
    srv->restart_timer = g_timeout_add_seconds(delay_s, restart_now, srv);
}

/* Take note of frames counted by the probe since the current run started. */
static void note_frames(Server *srv) {
  if (!srv->run_had_frame && atomic_load(&srv->frames) > srv->run_start_frames) {
    srv->run_had_frame = TRUE;
    srv->error_backoff_s = 0;
    if (!srv->ever_had_frame)
      log_msg("first frame from the source; running");
    srv->ever_had_frame = TRUE;
  }
}

static gboolean element_is_in(GstObject *obj, const gchar *name) {
  for (; obj; obj = GST_OBJECT_PARENT(obj))
    if (GST_IS_ELEMENT(obj) && g_strcmp0(GST_OBJECT_NAME(obj), name) == 0)
      return TRUE;
  return FALSE;
}

static void handle_error(Server *srv, GstMessage *msg) {
  GError *err = NULL;
  gchar *dbg = NULL;
  gchar *who = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
  gst_message_parse_error(msg, &err, &dbg);
  note_frames(srv);

  GstObject *from = GST_MESSAGE_SRC(msg);
  gboolean in_analysis = element_is_in(from, "analysis");
  gboolean in_detector = element_is_in(from, "detector");
  gboolean downstream = in_analysis || in_detector || element_is_in(from, "overlay") ||
                        element_is_in(from, "export") || element_is_in(from, "out");

  if (in_analysis && err->domain == GST_RESOURCE_ERROR) {
    /* bnnlandmarks loads the model when it starts; its resource errors mean a bad model. */
    fatal(srv, EXIT_MODEL, "model '%s' could not be loaded: %s%s%s", srv->model, err->message,
          dbg ? "\n  detail: " : "", dbg ? dbg : "");
  } else if (in_detector && err->domain == GST_RESOURCE_ERROR) {
    fatal(srv, EXIT_MODEL, "detector model '%s' could not be loaded: %s%s%s (--detector none "
          "runs without one)", srv->detector, err->message, dbg ? "\n  detail: " : "",
          dbg ? dbg : "");
  } else if (!srv->ever_had_frame && downstream) {
    fatal(srv, EXIT_OTHER, "the analysis pipeline failed: %s (from %s)%s%s", err->message, who,
          dbg ? "\n  detail: " : "", dbg ? dbg : "");
  } else if (!srv->ever_had_frame) {
    /* Nothing ever came out of the source: a missing or unusable device/file. */
    fatal(srv, EXIT_SOURCE, "source '%s' failed: %s (from %s)%s%s", srv->source, err->message,
          who, dbg ? "\n  detail: " : "", dbg ? dbg : "");
  } else {
    /* It worked before: keep serving and retry with a growing pause (1, 2, 4 ... 30 s). */
    guint delay = srv->error_backoff_s ? srv->error_backoff_s : 1;
    log_msg("%s error: %s (from %s); restarting the source in %u s",
            downstream ? "analysis" : "source", err->message, who, delay);
    srv->error_backoff_s = MIN(delay * 2, 30);
    schedule_restart(srv, delay);
  }
  g_free(who);
  g_free(dbg);
  g_error_free(err);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data) {
  Server *srv = data;
  (void)bus;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_ELEMENT: {
    const GstStructure *s = gst_message_get_structure(msg);
    if (s && gst_structure_has_name(s, EXPORT_MESSAGE_NAME)) {
      const gchar *line = gst_structure_get_string(s, EXPORT_MESSAGE_FIELD);
      if (line)
        json_broadcast(srv, line);
    }
    break;
  }
  case GST_MESSAGE_ERROR:
    handle_error(srv, msg);
    /* handle_error may have destroyed the pipeline (and this watch with it). */
    return srv->pipeline != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
  case GST_MESSAGE_WARNING: {
    GError *err = NULL;
    gchar *who = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
    gst_message_parse_warning(msg, &err, NULL);
    log_msg("warning from %s: %s", who, err->message);
    g_error_free(err);
    g_free(who);
    break;
  }
  case GST_MESSAGE_EOS:
    if (srv->kind == SOURCE_FILE && srv->once) {
      log_msg("end of file, stopping (--once)");
      g_main_loop_quit(srv->loop);
    } else {
      /* A source that ends without giving a frame is not restarted in a busy loop. */
      note_frames(srv);
      log_msg("end of stream from the source; starting it again%s",
              srv->run_had_frame ? "" : " in 1 s");
      srv->bus_watch = 0;
      schedule_restart(srv, srv->run_had_frame ? 0 : 1);
      return G_SOURCE_REMOVE;
    }
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* Every 250 ms: notice first frames, recoveries and stalls (no frame for --stall-timeout). */
static gboolean watchdog(gpointer data) {
  Server *srv = data;
  gint64 now = g_get_monotonic_time();
  gint64 last = atomic_load(&srv->last_frame_us);

  if (!srv->pipeline)
    return G_SOURCE_CONTINUE; /* a restart is pending */
  note_frames(srv);
  if (srv->stalled_since_us && srv->run_had_frame) {
    log_msg("source recovered after %.1f s", (double)(now - srv->stalled_since_us) / 1e6);
    srv->stalled_since_us = 0;
  }
  if ((double)(now - last) > srv->stall_timeout * 1e6) {
    if (!srv->stalled_since_us)
      srv->stalled_since_us = last;
    log_msg("source stalled: no frame for %.1f s; restarting the source",
            (double)(now - last) / 1e6);
    schedule_restart(srv, 0);
  }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- start-up */

static gboolean on_signal(gpointer data) {
  Server *srv = data;
  log_msg("stopping on signal");
  g_main_loop_quit(srv->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean parse_source(Server *srv) {
  const gchar *s = srv->source;
  if (g_str_has_prefix(s, "v4l2:")) {
    srv->kind = SOURCE_V4L2;
    srv->source_arg = s + 5;
  } else if (g_str_has_prefix(s, "file:")) {
    srv->kind = SOURCE_FILE;
    srv->source_arg = s + 5;
  } else if (strcmp(s, "test") == 0) {
    srv->kind = SOURCE_TEST;
    srv->source_arg = "";
  } else if (g_str_has_prefix(s, "launch:")) {
    srv->kind = SOURCE_LAUNCH;
    srv->source_arg = s + 7;
  } else {
    fprintf(stderr, "%s: error: --source '%s': expected v4l2:DEVICE, file:PATH, test or "
                    "launch:GST-DESCRIPTION\n", PROG, s);
    return FALSE;
  }
  if (srv->kind != SOURCE_TEST && srv->source_arg[0] == '\0') {
    fprintf(stderr, "%s: error: --source '%s': nothing after the ':'\n", PROG, s);
    return FALSE;
  }
  return TRUE;
}

/* A model given as a path (not a shipped name) must at least exist; says so if not. */
static gboolean model_file_readable(const char *what, const char *model) {
  if ((strchr(model, '/') || g_str_has_suffix(model, ".bnn")) && access(model, R_OK) != 0) {
    fprintf(stderr, "%s: error: %s file '%s': %s\n", PROG, what, model, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* Problems we can name before building anything: missing files, devices, elements. */
static int precheck(Server *srv) {
  static const char *const needed[] = {
      "bnnlandmarks", "landmarkoverlay", "landmarkexport", "intervideosink", "intervideosrc",
      "x264enc",      "rtph264pay",      "videoconvert",   "videoscale",     "videorate"};
  for (size_t i = 0; i < G_N_ELEMENTS(needed); i++) {
    GstElementFactory *f = gst_element_factory_find(needed[i]);
    if (!f) {
      fprintf(stderr, "%s: error: GStreamer element '%s' is not available (is the bnnlandmarks "
                      "plugin on GST_PLUGIN_PATH and are gstreamer1.0-plugins-{base,bad,ugly} "
                      "installed?)\n", PROG, needed[i]);
      return EXIT_OTHER;
    }
    gst_object_unref(f);
  }
  if (srv->kind == SOURCE_V4L2) {
    if (access(srv->source_arg, F_OK) != 0) {
      fprintf(stderr, "%s: error: video device '%s' does not exist (is the camera plugged in? "
                      "`v4l2-ctl --list-devices` lists them)\n", PROG, srv->source_arg);
      return EXIT_SOURCE;
    }
    if (access(srv->source_arg, R_OK | W_OK) != 0) {
      fprintf(stderr, "%s: error: video device '%s': %s (is the user in group 'video'?)\n",
              PROG, srv->source_arg, g_strerror(errno));
      return EXIT_SOURCE;
    }
  }
  if (srv->kind == SOURCE_FILE && access(srv->source_arg, R_OK) != 0) {
    fprintf(stderr, "%s: error: input file '%s': %s\n", PROG, srv->source_arg,
            g_strerror(errno));
    return EXIT_SOURCE;
  }
  if (!model_file_readable("model", srv->model) ||
      (has_detector(srv) && !model_file_readable("detector model", srv->detector)))
    return EXIT_MODEL;
  return EXIT_OK;
}

/* Start everything, run until a signal or a fatal error; the exit code. */
static int serve(Server *srv) {
  GError *err = NULL;
  int code = precheck(srv);
  if (code != EXIT_OK)
    return code;

  srv->channel = g_strdup_printf("bnnlm-camera-server-%d", (int)getpid());
  srv->loop = g_main_loop_new(NULL, FALSE);

  if (srv->json_port >= 0 && !json_start(srv, &err)) {
    fprintf(stderr, "%s: error: cannot listen for JSON clients on %s:%d: %s\n", PROG,
            srv->address, srv->json_port, err->message);
    g_error_free(err);
    return EXIT_NETWORK;
  }
  if (!rtsp_start(srv, &err)) {
    fprintf(stderr, "%s: error: cannot listen for RTSP on %s:%d: %s\n", PROG, srv->address,
            srv->rtsp_port, err ? err->message : "unknown error");
    if (err)
      g_error_free(err);
    return EXIT_NETWORK;
  }
  {
    /* Listening on all addresses: name this host in the URLs; bracket IPv6 literals. */
    gboolean any = strcmp(srv->address, "0.0.0.0") == 0 || strcmp(srv->address, "::") == 0;
    const gchar *h = any ? g_get_host_name() : srv->address;
    gchar *host = strchr(h, ':') ? g_strdup_printf("[%s]", h) : g_strdup(h);
    /* JSON first: a reader that waits for the RTSP line has then seen both. */
    if (srv->json_service)
      printf("%s: JSON lines at tcp://%s:%u\n", PROG, host, srv->json_port_bound);
    printf("%s: RTSP stream at rtsp://%s:%d%s\n", PROG, host,
           gst_rtsp_server_get_bound_port(srv->rtsp), srv->mount);
    fflush(stdout);
    g_free(host);
  }

  srv->signal_watch[0] = g_unix_signal_add(SIGINT, on_signal, srv);
  srv->signal_watch[1] = g_unix_signal_add(SIGTERM, on_signal, srv);
  srv->watchdog_timer = g_timeout_add(250, watchdog, srv);

  if (pipeline_start(srv))
    g_main_loop_run(srv->loop);
  log_msg("stopped after %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " JSON lines, "
          "%u source restarts", (guint64)atomic_load(&srv->frames), srv->json_lines,
          srv->restarts);
  return srv->exit_code;
}

static void server_clear(Server *srv) {
  pipeline_destroy(srv);
  if (srv->restart_timer)
    g_source_remove(srv->restart_timer);
  if (srv->watchdog_timer)
    g_source_remove(srv->watchdog_timer);
  for (int i = 0; i < 2; i++)
    if (srv->signal_watch[i])
      g_source_remove(srv->signal_watch[i]);
  rtsp_stop(srv);
  json_stop(srv);
  if (srv->loop)
    g_main_loop_unref(srv->loop);
  g_free(srv->channel);
  g_free(srv->source);
  g_free(srv->model);
  g_free(srv->detector);
  g_free(srv->address);
  g_free(srv->mount);
}

int main(int argc, char **argv) {
  Server srv_storage;
  Server *srv = &srv_storage;
  GError *err = NULL;
  GOptionContext *ctx;
  int code = EXIT_USAGE;

  memset(srv, 0, sizeof *srv);
  /* String options stay NULL unless given (GOption does not free defaults). */
  srv->threads = 2;
  srv->rtsp_port = 8554;
  srv->json_port = 8555;
  srv->width = 640;
  srv->height = 480;
  srv->fps = 30;
  srv->bitrate = 1500;
  srv->stall_timeout = 5.0;
  srv->inference_interval = 1;
  GOptionEntry entries[] = {
      {"source", 's', 0, G_OPTION_ARG_STRING, &srv->source,
       "Video source: v4l2:DEVICE, file:PATH (looped), test, or launch:GST-DESCRIPTION "
       "(default v4l2:/dev/video0)", "SRC"},
      {"model", 'm', 0, G_OPTION_ARG_STRING, &srv->model,
       "Landmark model: a shipped name or a .bnn path (default body-lite: the small devices model; body is 4x the work)", "NAME|PATH"},
      {"detector", 'd', 0, G_OPTION_ARG_STRING, &srv->detector,
       "Person and face detector in front of the landmark model, so every person or face "
       "gets its landmarks: a shipped name or a .bnn path, or none (default detect)",
       "NAME|PATH|none"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &srv->threads,
       "Inference threads (default 2; 0: one per CPU core)", "N"},
      {"address", 'a', 0, G_OPTION_ARG_STRING, &srv->address,
       "IP address to listen on (default 0.0.0.0)", "IP"},
      {"rtsp-port", 'p', 0, G_OPTION_ARG_INT, &srv->rtsp_port,
       "RTSP port (default 8554; 0 picks a free one)", "PORT"},
      {"mount", 0, 0, G_OPTION_ARG_STRING, &srv->mount,
       "RTSP path of the annotated stream (default /annotated)", "PATH"},
      {"json-port", 'j', 0, G_OPTION_ARG_INT, &srv->json_port,
       "TCP port for JSON lines (default 8555; 0 picks a free one; -1 disables)", "PORT"},
      {"width", 'W', 0, G_OPTION_ARG_INT, &srv->width, "Frame width (default 640)", "PX"},
      {"height", 'H', 0, G_OPTION_ARG_INT, &srv->height, "Frame height (default 480)", "PX"},
      {"fps", 'f', 0, G_OPTION_ARG_INT, &srv->fps, "Frame rate (default 30)", "FPS"},
      {"bitrate", 'b', 0, G_OPTION_ARG_INT, &srv->bitrate,
       "H.264 bitrate in kbit/s (default 1500)", "KBPS"},
      {"inference-interval", 0, 0, G_OPTION_ARG_INT, &srv->inference_interval,
       "Run the network every N-th frame (default 1)", "N"},
      {"stall-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &srv->stall_timeout,
       "Restart the source after this many seconds without a frame (default 5)", "S"},
      {"once", 0, 0, G_OPTION_ARG_NONE, &srv->once,
       "With file:PATH, stop at the end of the file instead of looping", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};

  ctx = g_option_context_new("- serve annotated video over RTSP and landmarks as JSON lines");
  g_option_context_set_summary(
      ctx, "Runs the video source through bnnlandmarks, serves the drawing over RTSP at\n"
           "rtsp://ADDRESS:RTSP-PORT/MOUNT and one JSON line per frame to every TCP client\n"
           "of JSON-PORT. Exit codes: 1 usage, 2 source, 3 model, 4 port, 5 other.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    fprintf(stderr, "%s: error: %s (see --help)\n", PROG, err->message);
    g_error_free(err);
    g_option_context_free(ctx);
    goto out;
  }
  g_option_context_free(ctx);
  if (!srv->source)
    srv->source = g_strdup("v4l2:/dev/video0");
  if (!srv->model)
    srv->model = g_strdup("body-lite");
  if (!srv->detector)
    srv->detector = g_strdup("detect");
  if (!srv->address)
    srv->address = g_strdup("0.0.0.0");
  if (!srv->mount)
    srv->mount = g_strdup("/annotated");
  if (argc > 1) {
    fprintf(stderr, "%s: error: unexpected argument '%s' (see --help)\n", PROG, argv[1]);
    goto out;
  }
  if (srv->width < 16 || srv->height < 16 || srv->width > 8192 || srv->height > 8192 ||
      srv->fps < 1 || srv->fps > 240 || srv->threads < 0 || srv->threads > 64 ||
      srv->bitrate < 1 || srv->inference_interval < 1 || srv->stall_timeout <= 0 ||
      srv->rtsp_port < 0 || srv->rtsp_port > 65535 || srv->json_port < -1 ||
      srv->json_port > 65535 || srv->mount[0] != '/') {
    fprintf(stderr, "%s: error: a value is out of range (sizes 16..8192, fps 1..240, "
                    "threads 0..64, bitrate and interval >= 1, ports 0..65535, mount "
                    "starting with '/')\n", PROG);
    goto out;
  }
  if (!parse_source(srv))
    goto out;

  signal(SIGPIPE, SIG_IGN); /* a vanished client must not kill us */
  code = serve(srv);
out:
  server_clear(srv);
  if (gst_is_initialized())
    gst_deinit();
  return code;
}
