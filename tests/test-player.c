/* test-player.c: listening to call recordings
 *
 * Real WAV files played in real time into a fakesink (KC_AUDIO_SINK), and
 * the player bar under Xvfb fetching a recording from the simulator the
 * first time and from the cache afterwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <gst/gst.h>
#include <gtk/gtk.h>

#include "core/kc-player.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "sim/kc-sim-wav.h"
#include "ui/kc-player-bar.h"

#define NS_PER_SECOND G_GINT64_CONSTANT (1000000000)
#define MISSING_TEXT "The recording file is missing"
#define DAMAGED_TEXT "This recording cannot be played: the file is damaged or in an unknown format"
#define NO_OUTPUT_TEXT "No sound output is available"

static char *home;

/* --- KcPlayer -------------------------------------------------------------- */

typedef struct
{
  KcPlayer *player;
  guint     n_finished;
  gint64    last_position;
  gint64    min_playing_position;
  guint     n_advances;
  gboolean  went_back;
} Watch;

static void
on_position (KcPlayer   *player,
             GParamSpec *pspec,
             Watch      *w)
{
  gint64 position = kc_player_get_position (player);

  if (kc_player_get_state (player) == KC_PLAYER_PLAYING)
    {
      if (position < w->last_position)
        w->went_back = TRUE;
      else if (position > w->last_position)
        w->n_advances++;
      w->min_playing_position = MIN (w->min_playing_position, position);
    }
  w->last_position = position;
}

static void
on_finished (KcPlayer *player,
             Watch    *w)
{
  w->n_finished++;
}

static void
watch_reset (Watch *w)
{
  w->last_position = kc_player_get_position (w->player);
  w->min_playing_position = G_MAXINT64;
  w->n_advances = 0;
  w->went_back = FALSE;
}

static void
watch_init (Watch    *w,
            KcPlayer *player)
{
  w->player = player;
  w->n_finished = 0;
  watch_reset (w);
  g_signal_connect (player, "notify::position", G_CALLBACK (on_position), w);
  g_signal_connect (player, "finished", G_CALLBACK (on_finished), w);
}

static char *
write_file (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         size)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, (const char *) data, size, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_wav (const char *dir,
           const char *name,
           guint       seconds)
{
  g_autoptr (GBytes) wav = kc_sim_wav_generate (seconds, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (wav, &size);

  return write_file (dir, name, data, size);
}

static void
test_player_plays_to_the_end (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = write_wav (dir, "two-seconds.wav", 2);
  g_autoptr (KcPlayer) player = kc_player_new ();
  Watch w;
  gint64 started;

  watch_init (&w, player);
  g_assert_null (kc_player_get_error (player));
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);

  kc_player_open (player, path);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_LOADING);
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PAUSED, 10);
  g_assert_cmpint (kc_player_get_duration (player), >=, 18 * NS_PER_SECOND / 10);
  g_assert_cmpint (kc_player_get_duration (player), <=, 22 * NS_PER_SECOND / 10);
  g_assert_cmpint (kc_player_get_position (player), ==, 0);

  started = g_get_monotonic_time ();
  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (w.n_finished == 1, 10);

  /* In real time, with the position moving forward a few times a second */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 17 * G_USEC_PER_SEC / 10);
  g_assert_false (w.went_back);
  g_assert_cmpuint (w.n_advances, >=, 4);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  g_assert_cmpint (kc_player_get_position (player), ==, 0);
  g_assert_null (kc_player_get_error (player));

  kc_test_rm_rf (dir);
}

static void
test_player_pause_resume_seek (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = write_wav (dir, "two-seconds.wav", 2);
  g_autoptr (KcPlayer) player = kc_player_new ();
  Watch w;
  gint64 paused_at;
  gint64 started;

  watch_init (&w, player);
  kc_player_open (player, path);
  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (kc_player_get_position (player) >= 4 * NS_PER_SECOND / 10, 10);

  kc_player_pause (player);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_PAUSED);
  paused_at = kc_player_get_position (player);
  kc_test_run_for (0.5);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_PAUSED);
  g_assert_cmpint (kc_player_get_position (player) - paused_at, <, NS_PER_SECOND / 10);

  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PLAYING, 5);
  KC_TEST_WAIT_UNTIL (kc_player_get_position (player) >= paused_at + NS_PER_SECOND / 5, 5);
  g_assert_cmpuint (w.n_finished, ==, 0);

  /* From a stopped player: it readies the recording there, so the rest
   * lasts one second instead of two. */
  kc_player_stop (player);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  g_assert_cmpint (kc_player_get_position (player), ==, 0);
  kc_player_seek (player, NS_PER_SECOND);
  g_assert_cmpint (kc_player_get_position (player), >=, NS_PER_SECOND);
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PAUSED, 5);
  g_assert_cmpint (kc_player_get_position (player), >=, NS_PER_SECOND);

  watch_reset (&w);
  started = g_get_monotonic_time ();
  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (w.n_finished == 1, 10);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 19 * G_USEC_PER_SEC / 10);
  g_assert_cmpint (w.min_playing_position, >=, NS_PER_SECOND);
  g_assert_false (w.went_back);

  kc_test_rm_rf (dir);
}

static void
assert_fails_with (const char *path,
                   const char *text)
{
  g_autoptr (KcPlayer) player = kc_player_new ();
  Watch w;

  watch_init (&w, player);
  kc_player_open (player, path);
  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (kc_player_get_error (player) != NULL, 10);
  g_assert_cmpstr (kc_player_get_error (player), ==, text);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  g_assert_cmpint (kc_player_get_position (player), ==, 0);

  /* Trying again fails the same way, and nothing ever "finishes". */
  kc_player_play (player);
  KC_TEST_WAIT_UNTIL (kc_player_get_error (player) != NULL, 10);
  g_assert_cmpstr (kc_player_get_error (player), ==, text);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  g_assert_cmpuint (w.n_finished, ==, 0);
}

static void
test_player_damaged_and_missing (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autoptr (GBytes) wav = kc_sim_wav_generate (1, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *noise_path = NULL;
  g_autofree char *truncated_path = NULL;
  g_autofree char *missing_path = g_build_filename (dir, "gone.wav", NULL);
  g_autoptr (KcPlayer) player = NULL;
  guint8 noise[8192];

  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) g_rand_int_range (rand, 0, 256);
  noise_path = write_file (dir, "noise.wav", noise, sizeof noise);
  /* The RIFF header cut off in the middle of the format chunk */
  truncated_path = write_file (dir, "truncated.wav", g_bytes_get_data (wav, NULL), 30);

  assert_fails_with (noise_path, DAMAGED_TEXT);
  assert_fails_with (truncated_path, DAMAGED_TEXT);

  player = kc_player_new ();
  kc_player_open (player, missing_path);
  g_assert_cmpstr (kc_player_get_error (player), ==, MISSING_TEXT);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  kc_player_play (player);
  g_assert_cmpint (kc_player_get_state (player), ==, KC_PLAYER_STOPPED);
  g_assert_cmpstr (kc_player_get_error (player), ==, MISSING_TEXT);

  kc_test_rm_rf (dir);
}

static void
test_player_sound_output_fails (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = write_wav (dir, "one-second.wav", 1);
  g_autofree char *saved = g_strdup (g_getenv ("KC_AUDIO_SINK"));

  /* An output that cannot be opened, as a sound card that is not there */
  g_setenv ("KC_AUDIO_SINK", "filesink location=/nonexistent/kerio-cti/out.raw", TRUE);
  assert_fails_with (path, NO_OUTPUT_TEXT);
  g_setenv ("KC_AUDIO_SINK", saved, TRUE);

  kc_test_rm_rf (dir);
}

static void
test_player_no_sound_device (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = write_wav (dir, "one-second.wav", 1);
  g_autofree char *saved = g_strdup (g_getenv ("KC_AUDIO_SINK"));
  GList *sinks;
  GArray *ranks = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;

  /* A machine with no sound output at all: nothing autoaudiosink may pick,
   * so it plays into a fakesink, which must not pass for playing. The
   * registry is GStreamer's, which the player starts only when it opens a
   * file. */
  gst_init (NULL, NULL);
  sinks = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_SINK
                                                 | GST_ELEMENT_FACTORY_TYPE_MEDIA_AUDIO,
                                                 GST_RANK_NONE);
  for (GList *l = sinks; l; l = l->next)
    {
      guint rank = gst_plugin_feature_get_rank (l->data);

      g_array_append_val (ranks, rank);
      gst_plugin_feature_set_rank (l->data, GST_RANK_NONE);
    }
  g_unsetenv ("KC_AUDIO_SINK");

  assert_fails_with (path, NO_OUTPUT_TEXT);

  g_setenv ("KC_AUDIO_SINK", saved, TRUE);
  i = 0;
  for (GList *l = sinks; l; l = l->next, i++)
    gst_plugin_feature_set_rank (l->data, g_array_index (ranks, guint, i));
  gst_plugin_feature_list_free (sinks);
  g_array_unref (ranks);
  kc_test_rm_rf (dir);
}

/* --- KcPlayerBar ----------------------------------------------------------- */

typedef struct
{
  KcSimServer *sim;
  KcStore     *store;
  KcEngine    *engine;
  GtkWindow   *window;
  KcPlayerBar *bar;
  GtkWidget   *progress;
  gboolean     progress_shown;
  char        *progress_text;
  guint        n_finished;
  gint64       now;
} BarFixture;

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      found = find_widget (child, type);
      if (found)
        return found;
    }
  return NULL;
}

/* A label on screen whose text contains `text` */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child)
          && strstr (gtk_label_get_text (GTK_LABEL (child)), text) != NULL)
        return child;
      found = find_label (child, text);
      if (found)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      found = find_button (child, tooltip);
      if (found)
        return found;
    }
  return NULL;
}

static void
on_progress_visible (GtkWidget  *progress,
                     GParamSpec *pspec,
                     BarFixture *f)
{
  if (gtk_widget_get_visible (progress))
    f->progress_shown = TRUE;
}

static void
on_progress_text (GtkWidget  *progress,
                  GParamSpec *pspec,
                  BarFixture *f)
{
  g_free (f->progress_text);
  f->progress_text = g_strdup (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (progress)));
}

static void
on_bar_finished (KcPlayer   *player,
                 BarFixture *f)
{
  f->n_finished++;
}

static void
bar_set_up (BarFixture    *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *url = NULL;
  g_autofree char *db = kc_store_default_path ();
  KcConfig config = { 0 };

  f->now = g_get_real_time () / G_USEC_PER_SEC;
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  kc_sim_server_add_cdr (f->sim, "cdr-with-rec", f->now - 300, "+998901112233", "1001",
                         KC_SIM_CDR_ANSWERED, 60, 50);
  kc_sim_server_add_recording (f->sim, "rec-a", "1001", "+998901112233", f->now - 290, 2);
  kc_sim_server_add_cdr (f->sim, "cdr-missed", f->now - 200, "+998901112244", "1002",
                         KC_SIM_CDR_NO_ANSWER, 20, 0);
  kc_sim_server_add_cdr (f->sim, "cdr-unreachable", f->now - 100, "+998901112255", "1003",
                         KC_SIM_CDR_ANSWERED, 30, 25);
  kc_sim_server_add_recording (f->sim, "rec-b", "1003", "+998901112255", f->now - 95, 2);

  g_assert_true (g_str_has_prefix (db, home));
  f->store = kc_store_open (db, &error);
  g_assert_no_error (error);

  url = kc_sim_server_get_endpoint_url (f->sim);
  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 1;
  config.sync_interval = 60;
  config.extension_digits = 4;
  f->engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);

  kc_sync_run_async (kc_engine_get_sync (f->engine), NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  g_assert_true (kc_sync_run_finish (kc_engine_get_sync (f->engine), result, NULL, &error));
  g_assert_no_error (error);

  f->bar = kc_player_bar_new ();
  kc_player_bar_set_engine (f->bar, f->engine);
  g_signal_connect (kc_player_bar_get_player (f->bar), "finished", G_CALLBACK (on_bar_finished),
                    f);
  f->progress = find_widget (GTK_WIDGET (f->bar), GTK_TYPE_PROGRESS_BAR);
  g_assert_nonnull (f->progress);
  g_signal_connect (f->progress, "notify::visible", G_CALLBACK (on_progress_visible), f);
  g_signal_connect (f->progress, "notify::text", G_CALLBACK (on_progress_text), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 360, -1);
  gtk_window_set_child (f->window, GTK_WIDGET (f->bar));
  gtk_window_present (f->window);
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->bar)), 10);
}

static void
bar_tear_down (BarFixture    *f,
               gconstpointer  data)
{
  g_autofree char *cache = g_build_filename (home, "cache", "kerio-cti", NULL);
  g_autofree char *history = g_build_filename (home, "data", "kerio-cti", NULL);

  gtk_window_destroy (f->window);
  g_clear_object (&f->engine);
  g_clear_object (&f->store);
  g_clear_object (&f->sim);
  g_free (f->progress_text);
  kc_test_rm_rf (cache);
  kc_test_rm_rf (history);
}

static char *
recording_path (BarFixture *f,
                const char *call_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecord) record = kc_store_lookup (f->store, call_id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return g_strdup (record->recording_path);
}

static void
test_bar_downloads_once_then_plays_from_cache (BarFixture    *f,
                                               gconstpointer  data)
{
  g_autofree char *cache_dir = g_build_filename (home, "cache", "kerio-cti", "recordings", NULL);
  g_autofree char *path = NULL;
  GtkWidget *bar = GTK_WIDGET (f->bar);
  KcPlayer *player = kc_player_bar_get_player (f->bar);

  g_assert_null (recording_path (f, "cdr-with-rec"));

  kc_player_bar_play_call (f->bar, "cdr-with-rec");
  g_assert_true (gtk_widget_get_visible (f->progress));
  g_assert_nonnull (find_label (bar, "+998901112233"));
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PLAYING, 10);
  g_assert_false (gtk_widget_get_visible (f->progress));
  g_assert_true (f->progress_shown);
  g_assert_true (g_str_has_prefix (f->progress_text, "Downloading recording"));
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);

  /* The file is in the cache and the history knows where. */
  path = recording_path (f, "cdr-with-rec");
  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, cache_dir));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* The bar shows the length, and a pause button while playing */
  KC_TEST_WAIT_UNTIL (find_label (bar, "0:02") != NULL, 5);
  g_assert_nonnull (find_button (bar, "Pause"));
  KC_TEST_WAIT_UNTIL (f->n_finished == 1, 10);
  g_assert_nonnull (find_button (bar, "Play"));
  g_assert_null (find_label (bar, "cannot"));

  /* Again: straight from the cache, no download, no progress */
  f->progress_shown = FALSE;
  kc_player_bar_play_call (f->bar, "cdr-with-rec");
  g_assert_false (gtk_widget_get_visible (f->progress));
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PLAYING, 10);
  g_assert_false (f->progress_shown);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);

  /* The operator pauses with the button. */
  gtk_widget_activate (find_button (bar, "Pause"));
  KC_TEST_WAIT_UNTIL (kc_player_get_state (player) == KC_PLAYER_PAUSED, 5);
  g_assert_nonnull (find_button (bar, "Play"));
}

static void
test_bar_problems_in_words (BarFixture    *f,
                            gconstpointer  data)
{
  GtkWidget *bar = GTK_WIDGET (f->bar);
  GtkWidget *error;
  int minimum;

  kc_player_bar_play_call (f->bar, "cdr-missed");
  error = find_label (bar, "This call has no recording");
  g_assert_nonnull (error);
  g_assert_true (gtk_widget_has_css_class (error, "error"));
  g_assert_false (gtk_widget_get_sensitive (find_button (bar, "Play")));
  g_assert_false (gtk_widget_get_visible (f->progress));

  /* Still fits a narrow window with the words showing */
  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL,
                      NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);

  kc_player_bar_play_call (f->bar, "no-such-call");
  g_assert_nonnull (find_label (bar, "not in the call history"));
  g_assert_null (find_label (bar, "This call has no recording"));

  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, 1);
  kc_player_bar_play_call (f->bar, "cdr-unreachable");
  g_assert_true (gtk_widget_get_visible (f->progress));
  KC_TEST_WAIT_UNTIL (find_label (bar, "The recording could not be downloaded") != NULL, 10);
  g_assert_false (gtk_widget_get_visible (f->progress));
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 0);
  g_assert_null (recording_path (f, "cdr-unreachable"));

  /* Once the PBX answers again, the same call plays. */
  kc_player_bar_play_call (f->bar, "cdr-unreachable");
  KC_TEST_WAIT_UNTIL (kc_player_get_state (kc_player_bar_get_player (f->bar)) ==
                      KC_PLAYER_PLAYING, 10);
  g_assert_null (find_label (bar, "could not be downloaded"));
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *cache = NULL;
  g_autofree char *data = NULL;
  int status;

  /* Before anything reads them: GLib caches the user folders. */
  home = kc_test_make_tmpdir ();
  cache = g_build_filename (home, "cache", NULL);
  data = g_build_filename (home, "data", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("KC_AUDIO_SINK", "fakesink sync=true", TRUE);

  kc_test_bus_up ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  g_test_add_func ("/player/plays-to-the-end", test_player_plays_to_the_end);
  g_test_add_func ("/player/pause-resume-seek", test_player_pause_resume_seek);
  g_test_add_func ("/player/damaged-and-missing", test_player_damaged_and_missing);
  g_test_add_func ("/player/sound-output-fails", test_player_sound_output_fails);
  g_test_add_func ("/player/no-sound-device", test_player_no_sound_device);
  g_test_add ("/player-bar/downloads-once-then-plays-from-cache", BarFixture, NULL, bar_set_up,
              test_bar_downloads_once_then_plays_from_cache, bar_tear_down);
  g_test_add ("/player-bar/problems-in-words", BarFixture, NULL, bar_set_up,
              test_bar_problems_in_words, bar_tear_down);

  status = g_test_run ();
  kc_test_rm_rf (home);
  g_free (home);
  return status;
}
