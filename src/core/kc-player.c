/* kc-player.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-player"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gst/gst.h>

#include "kc-player.h"

/* Often enough for a seek bar to move smoothly at call-recording lengths,
 * rare enough to cost nothing. */
#define POSITION_INTERVAL_MS 250

#define NO_OUTPUT_TEXT N_("No sound output is available")
#define DAMAGED_TEXT \
  N_("This recording cannot be played: the file is damaged or in an unknown format")
#define MISSING_TEXT N_("The recording file is missing")

struct _KcPlayer
{
  GObject        parent_instance;

  GstElement    *playbin;      /* NULL when GStreamer cannot play at all */
  char          *uri;          /* NULL until a file is open */
  /* What the operator asked for: NULL (stopped), PAUSED or PLAYING. The
   * pipeline gets there asynchronously; "state" follows both. */
  GstState       target;
  gint64         pending_seek; /* ns, applied once prerolled; -1: none */
  guint          position_source;
  guint          failure_check;

  KcPlayerState  state;
  gint64         position;
  gint64         duration;
  double         volume;
  char          *error;
};

G_DEFINE_FINAL_TYPE (KcPlayer, kc_player, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_POSITION,
  PROP_DURATION,
  PROP_VOLUME,
  PROP_ERROR,
  N_PROPS
};

enum {
  FINISHED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
ensure_gstreamer (void)
{
  /* 1: failed, 2: ready */
  static gsize result = 0;

  if (g_once_init_enter (&result))
    {
      g_autoptr (GError) error = NULL;
      gsize value = 2;

      if (!gst_init_check (NULL, NULL, &error))
        {
          g_message ("GStreamer could not start: %s", error->message);
          value = 1;
        }
      g_once_init_leave (&result, value);
    }
  return result == 2;
}

static void
set_error (KcPlayer   *self,
           const char *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ERROR]);
}

static void
set_position (KcPlayer *self,
              gint64    position)
{
  if (self->position == position)
    return;
  self->position = position;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_POSITION]);
}

static void
set_duration (KcPlayer *self,
              gint64    duration)
{
  if (self->duration == duration)
    return;
  self->duration = duration;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DURATION]);
}

static void
query_position (KcPlayer *self)
{
  gint64 position;

  if (gst_element_query_position (self->playbin, GST_FORMAT_TIME, &position) && position >= 0)
    set_position (self, self->duration >= 0 ? MIN (position, self->duration) : position);
}

static void
query_duration (KcPlayer *self)
{
  gint64 duration;

  if (gst_element_query_duration (self->playbin, GST_FORMAT_TIME, &duration) && duration >= 0)
    set_duration (self, duration);
}

static gboolean
on_position_timeout (gpointer user_data)
{
  KcPlayer *self = user_data;

  query_position (self);
  return G_SOURCE_CONTINUE;
}

static KcPlayerState
compute_state (KcPlayer *self)
{
  GstState current = GST_STATE_NULL;

  if (self->error != NULL || self->uri == NULL || self->target < GST_STATE_PAUSED)
    return KC_PLAYER_STOPPED;
  /* The pipeline's state now, not the one a queued message reported: those
   * may be stale after a quick stop and play. */
  gst_element_get_state (self->playbin, &current, NULL, 0);
  if (current < GST_STATE_PAUSED)
    return KC_PLAYER_LOADING;
  return self->target == GST_STATE_PLAYING ? KC_PLAYER_PLAYING : KC_PLAYER_PAUSED;
}

static void
update_state (KcPlayer *self)
{
  KcPlayerState state = compute_state (self);

  /* The pipeline reports PAUSED before ASYNC_DONE; whoever sees the state
   * change should already see the length. */
  if ((state == KC_PLAYER_PAUSED || state == KC_PLAYER_PLAYING) && self->duration < 0)
    query_duration (self);

  if (state == KC_PLAYER_PLAYING && self->position_source == 0)
    self->position_source = g_timeout_add (POSITION_INTERVAL_MS, on_position_timeout, self);
  else if (state != KC_PLAYER_PLAYING)
    g_clear_handle_id (&self->position_source, g_source_remove);

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

/* NULL rather than READY: it lets go of the sound device and drops what is
 * still queued on the bus from the playback that ended. */
static void
shut_down (KcPlayer *self)
{
  self->target = GST_STATE_NULL;
  self->pending_seek = -1;
  if (self->playbin != NULL)
    gst_element_set_state (self->playbin, GST_STATE_NULL);
}

static void
fail (KcPlayer   *self,
      const char *error)
{
  shut_down (self);
  set_error (self, error);
  update_state (self);
  set_position (self, 0);
}

static gboolean
on_failure_check (gpointer user_data)
{
  KcPlayer *self = user_data;

  self->failure_check = 0;
  /* Bus watches run before idle sources, so any error GStreamer posted with
   * the failure has been reported by now; one without must still not leave
   * the operator waiting for a recording that never starts. */
  if (self->error == NULL && self->target >= GST_STATE_PAUSED)
    {
      g_message ("Cannot play %s: the pipeline refused to start", self->uri);
      fail (self, _(DAMAGED_TEXT));
    }
  return G_SOURCE_REMOVE;
}

/* target: PAUSED or PLAYING */
static void
go_to (KcPlayer *self,
       GstState  target)
{
  GstState current = GST_STATE_NULL;

  self->target = target;
  gst_element_get_state (self->playbin, &current, NULL, 0);
  /* playbin forgets its URI when starting fails; give it on every start. */
  if (current == GST_STATE_NULL)
    g_object_set (self->playbin, "uri", self->uri, NULL);
  if (gst_element_set_state (self->playbin, target) == GST_STATE_CHANGE_FAILURE
      && self->failure_check == 0)
    self->failure_check = g_idle_add (on_failure_check, self);
}

static gboolean
comes_from_sink (GstObject *source)
{
  g_autoptr (GstObject) object = source ? gst_object_ref (source) : NULL;

  while (object != NULL)
    {
      GstObject *parent;

      if (GST_IS_ELEMENT (object))
        {
          const char *klass = gst_element_class_get_metadata (GST_ELEMENT_GET_CLASS (object),
                                                              GST_ELEMENT_METADATA_KLASS);

          /* The audio sink itself, the one autoaudiosink tried, or playsink
           * saying it found none. */
          if (klass != NULL && strstr (klass, "Sink") != NULL)
            return TRUE;
        }
      parent = gst_object_get_parent (object);
      gst_object_unref (object);
      object = parent;
    }
  return FALSE;
}

static const char *
describe_error (GstMessage   *message,
                const GError *error)
{
  if (comes_from_sink (GST_MESSAGE_SRC (message)))
    return _(NO_OUTPUT_TEXT);
  if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND))
    return _(MISSING_TEXT);
  return _(DAMAGED_TEXT);
}

static void
on_error_message (KcPlayer   *self,
                  GstMessage *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  /* One failure often brings more errors behind it; the first says most. */
  if (self->error != NULL)
    return;
  gst_message_parse_error (message, &error, &debug);
  g_message ("Cannot play %s: %s (%s)", self->uri, error->message, debug ? debug : "");
  fail (self, describe_error (message, error));
}

/* autoaudiosink that finds no working output plays into a fakesink instead,
 * saying so only in a warning: the operator would hear silence. */
static void
on_warning_message (KcPlayer   *self,
                    GstMessage *message)
{
  GstObject *source = GST_MESSAGE_SRC (message);
  GstElementFactory *factory = GST_IS_ELEMENT (source)
                               ? gst_element_get_factory (GST_ELEMENT (source)) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  if (self->error != NULL || factory == NULL
      || g_strcmp0 (GST_OBJECT_NAME (factory), "autoaudiosink") != 0)
    return;
  gst_message_parse_warning (message, &error, &debug);
  g_message ("No sound output for %s: %s (%s)", self->uri, error->message, debug ? debug : "");
  fail (self, _(NO_OUTPUT_TEXT));
}

static void
on_end_of_stream (KcPlayer *self)
{
  shut_down (self);
  update_state (self);
  set_position (self, 0);
  g_signal_emit (self, signals[FINISHED], 0);
}

/* A seek asked for before the pipeline could take one; applied as soon as it
 * can, before anyone hears the recording from its start. */
static gboolean
apply_pending_seek (KcPlayer *self)
{
  GstState current = GST_STATE_NULL;
  gint64 position = self->pending_seek;

  if (position < 0)
    return FALSE;
  gst_element_get_state (self->playbin, &current, NULL, 0);
  if (current < GST_STATE_PAUSED)
    return FALSE;
  self->pending_seek = -1;
  gst_element_seek_simple (self->playbin, GST_FORMAT_TIME,
                           GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, position);
  return TRUE;
}

static void
on_prerolled (KcPlayer *self)
{
  query_duration (self);
  if (!apply_pending_seek (self))
    query_position (self);
  update_state (self);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  KcPlayer *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      on_error_message (self, message);
      break;
    case GST_MESSAGE_WARNING:
      on_warning_message (self, message);
      break;
    case GST_MESSAGE_EOS:
      on_end_of_stream (self);
      break;
    case GST_MESSAGE_ASYNC_DONE:
      on_prerolled (self);
      break;
    case GST_MESSAGE_DURATION_CHANGED:
      query_duration (self);
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (message) == GST_OBJECT (self->playbin))
        {
          apply_pending_seek (self);
          update_state (self);
        }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static GstElement *
make_playbin (GError **error)
{
  g_autoptr (GstElement) playbin = NULL;
  const char *sink_description = g_getenv ("KC_AUDIO_SINK");

  playbin = gst_element_factory_make ("playbin", NULL);
  if (playbin == NULL)
    {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                           "the playbin element is not installed");
      return NULL;
    }
  gst_object_ref_sink (playbin);

  if (sink_description != NULL && *sink_description != '\0')
    {
      GstElement *sink = gst_parse_bin_from_description (sink_description, TRUE, error);

      if (sink == NULL)
        return NULL;
      g_object_set (playbin, "audio-sink", sink, NULL);
    }
  /* Recordings are sound only; soft volume makes the volume control work
   * whatever the sink. */
  gst_util_set_object_arg (G_OBJECT (playbin), "flags", "audio+soft-volume");
  return g_steal_pointer (&playbin);
}

static void
kc_player_dispose (GObject *object)
{
  KcPlayer *self = KC_PLAYER (object);

  g_clear_handle_id (&self->position_source, g_source_remove);
  g_clear_handle_id (&self->failure_check, g_source_remove);
  if (self->playbin != NULL)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (self->playbin);

      gst_bus_remove_watch (bus);
      gst_element_set_state (self->playbin, GST_STATE_NULL);
      gst_clear_object (&self->playbin);
    }

  G_OBJECT_CLASS (kc_player_parent_class)->dispose (object);
}

static void
kc_player_finalize (GObject *object)
{
  KcPlayer *self = KC_PLAYER (object);

  g_free (self->uri);
  g_free (self->error);

  G_OBJECT_CLASS (kc_player_parent_class)->finalize (object);
}

static void
kc_player_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KcPlayer *self = KC_PLAYER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_POSITION:
      g_value_set_int64 (value, self->position);
      break;
    case PROP_DURATION:
      g_value_set_int64 (value, self->duration);
      break;
    case PROP_VOLUME:
      g_value_set_double (value, self->volume);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_player_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  KcPlayer *self = KC_PLAYER (object);

  switch (prop_id)
    {
    case PROP_VOLUME:
      kc_player_set_volume (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_player_class_init (KcPlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_player_dispose;
  object_class->finalize = kc_player_finalize;
  object_class->get_property = kc_player_get_property;
  object_class->set_property = kc_player_set_property;

  props[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, KC_PLAYER_STOPPED, KC_PLAYER_PAUSED, KC_PLAYER_STOPPED,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_POSITION] =
    g_param_spec_int64 ("position", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_DURATION] =
    g_param_spec_int64 ("duration", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, 0.0, 1.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
kc_player_init (KcPlayer *self)
{
  self->target = GST_STATE_NULL;
  self->pending_seek = -1;
  self->duration = -1;
  self->volume = 1.0;
}

KcPlayer *
kc_player_new (void)
{
  return g_object_new (KC_TYPE_PLAYER, NULL);
}

/* GStreamer and the pipeline start with the first recording opened, not
 * with the window that holds the player: most sessions never play one, and
 * gst_init() and playbin were a tenth of the desktop application's start. */
static gboolean
ensure_playbin (KcPlayer *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstBus) bus = NULL;

  if (self->playbin != NULL)
    return TRUE;
  if (!ensure_gstreamer ())
    return FALSE;
  self->playbin = make_playbin (&error);
  if (self->playbin == NULL)
    {
      g_message ("Cannot set up playback: %s", error->message);
      return FALSE;
    }
  g_object_set (self->playbin, "volume", self->volume, NULL);
  bus = gst_element_get_bus (self->playbin);
  gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

void
kc_player_open (KcPlayer   *self,
                const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *absolute = NULL;

  g_return_if_fail (KC_IS_PLAYER (self));
  g_return_if_fail (path != NULL);

  shut_down (self);
  g_clear_pointer (&self->uri, g_free);
  set_error (self, NULL);
  set_duration (self, -1);
  set_position (self, 0);

  if (!ensure_playbin (self))
    {
      set_error (self, _(NO_OUTPUT_TEXT));
      update_state (self);
      return;
    }

  absolute = g_canonicalize_filename (path, NULL);
  if (!g_file_test (absolute, G_FILE_TEST_IS_REGULAR))
    {
      set_error (self, _(MISSING_TEXT));
      update_state (self);
      return;
    }
  self->uri = g_filename_to_uri (absolute, NULL, &error);
  if (self->uri == NULL)
    {
      g_message ("Cannot play %s: %s", absolute, error->message);
      set_error (self, _(MISSING_TEXT));
      update_state (self);
      return;
    }

  go_to (self, GST_STATE_PAUSED);
  update_state (self);
}

void
kc_player_play (KcPlayer *self)
{
  g_return_if_fail (KC_IS_PLAYER (self));

  if (self->playbin == NULL || self->uri == NULL)
    return;

  /* Trying again is how the operator gets past a sound device that was
   * missing a moment ago. */
  set_error (self, NULL);
  go_to (self, GST_STATE_PLAYING);
  update_state (self);
}

void
kc_player_pause (KcPlayer *self)
{
  g_return_if_fail (KC_IS_PLAYER (self));

  if (self->playbin == NULL || self->uri == NULL || self->error != NULL)
    return;

  go_to (self, GST_STATE_PAUSED);
  query_position (self);
  update_state (self);
}

void
kc_player_stop (KcPlayer *self)
{
  g_return_if_fail (KC_IS_PLAYER (self));

  shut_down (self);
  update_state (self);
  set_position (self, 0);
}

void
kc_player_seek (KcPlayer *self,
                gint64    position_ns)
{
  g_return_if_fail (KC_IS_PLAYER (self));

  if (self->playbin == NULL || self->uri == NULL || self->error != NULL)
    return;

  position_ns = MAX (position_ns, 0);
  if (self->duration >= 0)
    position_ns = MIN (position_ns, self->duration);

  /* Seeking a stopped recording readies it there, paused. */
  if (self->target == GST_STATE_NULL)
    go_to (self, GST_STATE_PAUSED);
  self->pending_seek = position_ns;
  apply_pending_seek (self);

  set_position (self, position_ns);
  update_state (self);
}

void
kc_player_set_volume (KcPlayer *self,
                      double    volume)
{
  g_return_if_fail (KC_IS_PLAYER (self));

  volume = CLAMP (volume, 0.0, 1.0);
  if (self->volume == volume)
    return;
  self->volume = volume;
  if (self->playbin != NULL)
    g_object_set (self->playbin, "volume", volume, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VOLUME]);
}

double
kc_player_get_volume (KcPlayer *self)
{
  g_return_val_if_fail (KC_IS_PLAYER (self), 0.0);
  return self->volume;
}

KcPlayerState
kc_player_get_state (KcPlayer *self)
{
  g_return_val_if_fail (KC_IS_PLAYER (self), KC_PLAYER_STOPPED);
  return self->state;
}

gint64
kc_player_get_position (KcPlayer *self)
{
  g_return_val_if_fail (KC_IS_PLAYER (self), 0);
  return self->position;
}

gint64
kc_player_get_duration (KcPlayer *self)
{
  g_return_val_if_fail (KC_IS_PLAYER (self), -1);
  return self->duration;
}

const char *
kc_player_get_error (KcPlayer *self)
{
  g_return_val_if_fail (KC_IS_PLAYER (self), NULL);
  return self->error;
}
