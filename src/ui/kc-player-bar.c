/* kc-player-bar.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-player-bar"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-player-bar.h"

#define NS_PER_SECOND G_GINT64_CONSTANT (1000000000)

/* One recording being fetched. It belongs to the download in flight; the
 * bar only points at it, so that closing the window never waits for the
 * network, and forgets it (self = NULL) when it is no longer wanted. */
typedef struct
{
  KcPlayerBar  *self;
  KcStore      *store;
  char         *call_id;
  GCancellable *cancellable;
  gboolean      size_known;
} Download;

struct _KcPlayerBar
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkLabel       *title_label;
  GtkButton      *play_button;
  GtkLabel       *position_label;
  GtkScale       *seek_scale;
  GtkAdjustment  *seek_adjustment;
  GtkLabel       *length_label;
  GtkScaleButton *volume_button;
  GtkProgressBar *download_bar;
  GtkLabel       *error_label;

  KcPlayer       *player;
  GBinding       *volume_binding;
  KcEngine       *engine;
  Download       *download;
  gboolean        loaded;
};

G_DEFINE_FINAL_TYPE (KcPlayerBar, kc_player_bar, GTK_TYPE_WIDGET)

static void
download_free (Download *download)
{
  g_clear_object (&download->store);
  g_clear_object (&download->cancellable);
  g_free (download->call_id);
  g_free (download);
}

static void
cancel_download (KcPlayerBar *self)
{
  if (self->download == NULL)
    return;
  self->download->self = NULL;
  g_cancellable_cancel (self->download->cancellable);
  self->download = NULL;
  gtk_widget_set_visible (GTK_WIDGET (self->download_bar), FALSE);
}

static char *
format_time (gint64 ns)
{
  gint64 seconds = MAX (ns, 0) / NS_PER_SECOND;

  if (seconds >= 60 * 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / (60 * 60),
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", seconds / 60, (int) (seconds % 60));
}

static void
show_error (KcPlayerBar *self,
            const char  *text)
{
  gtk_label_set_text (self->error_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
}

static void
update_sensitivity (KcPlayerBar *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->play_button), self->loaded);
  gtk_widget_set_sensitive (GTK_WIDGET (self->seek_scale),
                            self->loaded && kc_player_get_duration (self->player) > 0);
}

static void
set_loaded (KcPlayerBar *self,
            gboolean     loaded)
{
  self->loaded = loaded;
  update_sensitivity (self);
}

static void
on_player_state (KcPlayerBar *self)
{
  KcPlayerState state = kc_player_get_state (self->player);
  /* The bar plays whatever it opens, so LOADING is shown as playing:
   * pressing the button again pauses. */
  gboolean playing = state == KC_PLAYER_PLAYING || state == KC_PLAYER_LOADING;
  const char *label = playing ? _("Pause") : _("Play");

  gtk_button_set_icon_name (self->play_button, playing ? "media-playback-pause-symbolic"
                                                       : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->play_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
on_player_position (KcPlayerBar *self)
{
  /* Set programmatically, the value never emits GtkRange::change-value, so
   * following the player does not seek it again. */
  gtk_adjustment_set_value (self->seek_adjustment,
                            (double) kc_player_get_position (self->player) / NS_PER_SECOND);
}

static void
on_player_duration (KcPlayerBar *self)
{
  gint64 duration = kc_player_get_duration (self->player);
  g_autofree char *text = format_time (duration);

  gtk_adjustment_set_upper (self->seek_adjustment,
                            duration > 0 ? (double) duration / NS_PER_SECOND : 0.0);
  gtk_label_set_text (self->length_label, text);
  update_sensitivity (self);
}

static void
on_player_error (KcPlayerBar *self)
{
  show_error (self, kc_player_get_error (self->player));
}

static void
on_play_clicked (GtkButton   *button,
                 KcPlayerBar *self)
{
  switch (kc_player_get_state (self->player))
    {
    case KC_PLAYER_PLAYING:
    case KC_PLAYER_LOADING:
      kc_player_pause (self->player);
      break;
    case KC_PLAYER_STOPPED:
    case KC_PLAYER_PAUSED:
    default:
      kc_player_play (self->player);
      break;
    }
}

static gboolean
on_seek_change_value (GtkRange      *range,
                      GtkScrollType  scroll,
                      double         value,
                      KcPlayerBar   *self)
{
  double upper = gtk_adjustment_get_upper (self->seek_adjustment);

  kc_player_seek (self->player, (gint64) (CLAMP (value, 0.0, upper) * NS_PER_SECOND));
  return FALSE;
}

static void
on_seek_value_changed (GtkAdjustment *adjustment,
                       KcPlayerBar   *self)
{
  g_autofree char *text =
    format_time ((gint64) (gtk_adjustment_get_value (adjustment) * NS_PER_SECOND));

  gtk_label_set_text (self->position_label, text);
}

static void
set_title (KcPlayerBar    *self,
           const KcRecord *record)
{
  g_autoptr (GDateTime) start = NULL;
  g_autofree char *when = NULL;
  g_autofree char *title = NULL;
  const char *number;

  if (record == NULL)
    {
      gtk_label_set_text (self->title_label, _("No recording selected"));
      return;
    }
  number = record->direction == KC_DIRECTION_INCOMING ? record->from_number : record->to_number;
  start = g_date_time_new_from_unix_local (record->start_time);
  if (start != NULL)
    when = g_date_time_format (start, "%x %H:%M");
  if (when != NULL)
    title = g_strdup_printf ("%s · %s", number ? number : "", when);
  else
    title = g_strdup (number ? number : "");
  gtk_label_set_text (self->title_label, title);
}

static void
play_file (KcPlayerBar *self,
           const char  *path)
{
  kc_player_open (self->player, path);
  set_loaded (self, kc_player_get_error (self->player) == NULL);
  kc_player_play (self->player);
  /* A player that could never start keeps its reason, unnotified. */
  on_player_error (self);
}

static void
on_download_progress (goffset  current,
                      goffset  total,
                      gpointer user_data)
{
  Download *download = user_data;
  g_autofree char *text = NULL;
  double fraction;

  if (download->self == NULL)
    return;

  /* The client reports total = current when the server announced no size. */
  if (total > current)
    download->size_known = TRUE;
  if (!download->size_known || total <= 0)
    {
      gtk_progress_bar_pulse (download->self->download_bar);
      return;
    }
  fraction = CLAMP ((double) current / (double) total, 0.0, 1.0);
  text = g_strdup_printf (_("Downloading recording… %d %%"), (int) (fraction * 100));
  gtk_progress_bar_set_fraction (download->self->download_bar, fraction);
  gtk_progress_bar_set_text (download->self->download_bar, text);
}

static void
on_download_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Download *download = user_data;
  KcPlayerBar *self = download->self;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *message = NULL;

  path = kc_kerio_client_download_recording_finish (KC_KERIO_CLIENT (source), result, &error);

  /* Even when the bar no longer wants it, a finished file saves the next
   * download. */
  if (path != NULL
      && !kc_store_set_recording_path (download->store, download->call_id, path, &error))
    {
      g_message ("Could not remember where the recording of call %s is: %s", download->call_id,
                 error->message);
      g_clear_error (&error);
    }

  if (self == NULL)
    {
      download_free (download);
      return;
    }

  self->download = NULL;
  gtk_widget_set_visible (GTK_WIDGET (self->download_bar), FALSE);
  if (path == NULL)
    {
      g_message ("Could not download the recording of call %s: %s", download->call_id,
                 error->message);
      message = g_strdup_printf (_("The recording could not be downloaded: %s"), error->message);
      show_error (self, message);
    }
  else
    {
      play_file (self, path);
    }
  download_free (download);
}

static void
start_download (KcPlayerBar    *self,
                const KcRecord *record)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "kerio-cti", "recordings",
                                           NULL);
  Download *download = g_new0 (Download, 1);

  download->self = self;
  download->store = g_object_ref (kc_engine_get_store (self->engine));
  download->call_id = g_strdup (record->call_id);
  download->cancellable = g_cancellable_new ();
  self->download = download;

  gtk_progress_bar_set_fraction (self->download_bar, 0.0);
  gtk_progress_bar_set_text (self->download_bar, _("Downloading recording…"));
  gtk_widget_set_visible (GTK_WIDGET (self->download_bar), TRUE);

  kc_kerio_client_download_recording_async (kc_engine_get_client (self->engine),
                                            record->recording_id, dir,
                                            on_download_progress, download,
                                            download->cancellable,
                                            on_download_done, download);
}

static void
kc_player_bar_dispose (GObject *object)
{
  KcPlayerBar *self = KC_PLAYER_BAR (object);

  cancel_download (self);
  g_clear_pointer (&self->volume_binding, g_binding_unbind);
  if (self->player != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->player, self);
      kc_player_stop (self->player);
    }
  g_clear_object (&self->player);
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_PLAYER_BAR);

  G_OBJECT_CLASS (kc_player_bar_parent_class)->dispose (object);
}

static void
kc_player_bar_class_init (KcPlayerBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_player_bar_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-player-bar.ui");
  /* Bound so that gtk_widget_dispose_template() unparents it */
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, box);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, title_label);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, play_button);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, position_label);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, seek_scale);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, seek_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, length_label);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, volume_button);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, download_bar);
  gtk_widget_class_bind_template_child (widget_class, KcPlayerBar, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_play_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_seek_change_value);
  gtk_widget_class_bind_template_callback (widget_class, on_seek_value_changed);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "playerbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kc_player_bar_init (KcPlayerBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->player = kc_player_new ();
  g_signal_connect_swapped (self->player, "notify::state", G_CALLBACK (on_player_state), self);
  g_signal_connect_swapped (self->player, "notify::position", G_CALLBACK (on_player_position),
                            self);
  g_signal_connect_swapped (self->player, "notify::duration", G_CALLBACK (on_player_duration),
                            self);
  g_signal_connect_swapped (self->player, "notify::error", G_CALLBACK (on_player_error), self);
  self->volume_binding = g_object_bind_property (self->player, "volume",
                                                 self->volume_button, "value",
                                                 G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  /* A player that cannot start says why before anything is chosen. */
  on_player_error (self);
}

KcPlayerBar *
kc_player_bar_new (void)
{
  return g_object_new (KC_TYPE_PLAYER_BAR, NULL);
}

void
kc_player_bar_set_engine (KcPlayerBar *self,
                          KcEngine    *engine)
{
  g_return_if_fail (KC_IS_PLAYER_BAR (self));
  g_return_if_fail (engine == NULL || KC_IS_ENGINE (engine));

  if (self->engine == engine)
    return;
  cancel_download (self);
  g_set_object (&self->engine, engine);
}

void
kc_player_bar_play_call (KcPlayerBar *self,
                         const char  *call_id)
{
  g_autoptr (KcRecord) record = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (KC_IS_PLAYER_BAR (self));
  g_return_if_fail (call_id != NULL);
  g_return_if_fail (self->engine != NULL);

  cancel_download (self);
  kc_player_stop (self->player);
  set_loaded (self, FALSE);
  show_error (self, NULL);

  record = kc_store_lookup (kc_engine_get_store (self->engine), call_id, &error);
  set_title (self, record);
  if (error != NULL)
    {
      g_message ("Could not read call %s from the history: %s", call_id, error->message);
      show_error (self, _("The call history cannot be read"));
      return;
    }
  if (record == NULL)
    {
      show_error (self, _("This call is not in the call history"));
      return;
    }

  if (record->recording_path != NULL
      && g_file_test (record->recording_path, G_FILE_TEST_IS_REGULAR))
    {
      play_file (self, record->recording_path);
      return;
    }
  if (record->recording_id == NULL)
    {
      show_error (self, _("This call has no recording"));
      return;
    }
  start_download (self, record);
}

KcPlayer *
kc_player_bar_get_player (KcPlayerBar *self)
{
  g_return_val_if_fail (KC_IS_PLAYER_BAR (self), NULL);
  return self->player;
}
