/* test-window.c: what the operator sees in the main window
 *
 * A real engine polls the simulator over HTTP; the window is realized under
 * Xvfb and inspected as a person would read it: the labels on screen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"

#include "core/kc-store.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "ui/kc-window.h"

typedef struct
{
  char        *home;
  KcSimServer *sim;
  KcStore     *store;
  KcEngine    *engine;
  KcWindow    *window;
} Fixture;

/* The text a label or an inscription (the history's cells) shows */
static const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  return NULL;
}

/* A label or inscription whose text is exactly / contains `text`, mapped
 * (on screen, not in a hidden page) */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text,
            gboolean    exact)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;
      const char *label = widget_text (child);

      if (label != NULL && gtk_widget_get_mapped (child))
        {
          if (exact ? g_strcmp0 (label, text) == 0 : strstr (label, text) != NULL)
            return child;
        }
      found = find_label (child, text, exact);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
shows (Fixture    *f,
       const char *text)
{
  return find_label (GTK_WIDGET (f->window), text, FALSE) != NULL;
}

/* The first widget of `type` under root, depth first */
static GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      found = find_type (child, type);
      if (found)
        return found;
    }
  return NULL;
}

static GtkColumnView *
find_column_view (GtkWidget *root)
{
  return (GtkColumnView *) find_type (root, GTK_TYPE_COLUMN_VIEW);
}

static GtkWidget *
find_by_tooltip (GtkWidget  *root,
                 GType       type,
                 const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
          g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      found = find_by_tooltip (child, type, tooltip);
      if (found)
        return found;
    }
  return NULL;
}

static AdwViewStack *
find_view_stack (GtkWidget *root)
{
  return (AdwViewStack *) find_type (root, ADW_TYPE_VIEW_STACK);
}

static guint
history_rows (Fixture *f)
{
  GtkColumnView *view = find_column_view (GTK_WIDGET (f->window));
  GListModel *model = view ? G_LIST_MODEL (gtk_column_view_get_model (view)) : NULL;

  return model ? g_list_model_get_n_items (model) : 0;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *db = NULL;
  KcConfig config = { 0 };

  f->home = kc_test_make_tmpdir ();
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);

  db = g_build_filename (f->home, "calls.db", NULL);
  f->store = kc_store_open (db, &error);
  g_assert_no_error (error);

  url = kc_sim_server_get_endpoint_url (f->sim);
  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 0.1;
  config.sync_interval = 0.005;
  config.extension_digits = 4;
  f->engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);

  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  kc_window_set_engine (f->window, f->engine);
  /* data: the page the window opens on, when not the first */
  if (data != NULL)
    adw_view_stack_set_visible_child_name (find_view_stack (GTK_WIDGET (f->window)), data);
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)), 10);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  kc_call_tracker_stop (kc_engine_get_tracker (f->engine));
  kc_sync_stop (kc_engine_get_sync (f->engine));
  g_clear_object (&f->engine);
  g_clear_object (&f->store);
  g_clear_object (&f->sim);
  kc_test_run_for (0.1);
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

static void
test_dashboard_follows_calls (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *first_duration = NULL;
  GtkWidget *duration;

  g_assert_true (shows (f, "No Active Calls"));
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);

  id = g_strdup (kc_sim_server_add_call_started (f->sim, "+998901234567", "Aziz Karimov", "1001",
                                                 NULL, 5));
  KC_TEST_WAIT_UNTIL (shows (f, "+998901234567"), 10);
  g_assert_false (shows (f, "No Active Calls"));
  /* Real appliances send no caller names with live calls (the field
   * dialect); the row says whom the call is for */
  g_assert_false (shows (f, "Aziz Karimov"));
  g_assert_true (shows (f, "Incoming to 1001"));
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), "Ringing", TRUE));

  /* The duration counts from the PBX's start, 5 s ago, and keeps ticking. */
  duration = find_label (GTK_WIDGET (f->window), "0:0", FALSE);
  g_assert_nonnull (duration);
  first_duration = g_strdup (gtk_label_get_text (GTK_LABEL (duration)));
  g_assert_cmpstr (first_duration, >=, "0:05");
  KC_TEST_WAIT_UNTIL (g_strcmp0 (gtk_label_get_text (GTK_LABEL (duration)), first_duration) != 0,
                      5);

  kc_sim_server_answer_call (f->sim, id);
  KC_TEST_WAIT_UNTIL (find_label (GTK_WIDGET (f->window), "Talking", TRUE) != NULL, 10);

  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (shows (f, "No Active Calls"), 10);
}

/* A PBX that does name the caller (the SDK's shape): the name is on the row */
static void
test_dashboard_shows_caller_name (Fixture       *f,
                                  gconstpointer  data)
{
  kc_sim_server_set_dialect (f->sim, KC_SIM_DIALECT_SDK);
  kc_engine_start (f->engine);
  kc_sim_server_add_call (f->sim, "+998901234567", "Aziz Karimov", "1001", NULL);
  KC_TEST_WAIT_UNTIL (shows (f, "+998901234567"), 10);
  g_assert_true (shows (f, "Aziz Karimov · incoming to 1001"));
  /* One call, one row */
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (
                      kc_engine_get_tracker (f->engine))), ==, 1);
}

/* The operator at 1001 sees a call to ring group 800 ring; a colleague at
 * 1002 answers. The call leaves the dashboard, the window says who took it,
 * and no missed call is left in the history. */
static void
test_answered_elsewhere_in_words (Fixture       *f,
                                  gconstpointer  data)
{
  const char *const extensions[] = { "1001", "1002", NULL };
  g_autoptr (KcEngine) engine = NULL;
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  g_autofree char *id = NULL;
  KcConfig config = { 0 };

  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 0.1;
  config.sync_interval = 10;
  config.extension = (char *) "1001";
  config.extension_digits = 4;
  engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);
  kc_window_set_engine (f->window, engine);
  kc_engine_start (engine);

  id = g_strdup (kc_sim_server_add_group_call (f->sim, "+998901234567", NULL, "800",
                                               extensions));
  KC_TEST_WAIT_UNTIL (shows (f, "+998901234567"), 10);
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), "Ringing", TRUE));
  kc_sim_server_answer_call_at (f->sim, id, "1002");
  KC_TEST_WAIT_UNTIL (shows (f, "The call from +998901234567 was answered at 1002"), 10);
  KC_TEST_WAIT_UNTIL (shows (f, "No Active Calls"), 10);
  g_assert_cmpint (kc_store_count (f->store), ==, 0);

  kc_call_tracker_stop (kc_engine_get_tracker (engine));
  kc_sync_stop (kc_engine_get_sync (engine));
  kc_window_set_engine (f->window, f->engine);
}

/* The dashboard says where live calls come from: AMI, at once, or polls;
 * and why not AMI when it was asked for and refused */
static void
test_live_source_in_words (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (KcEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  KcConfig config = { 0 };

  g_assert_true (kc_sim_server_listen_ami (f->sim, 0, &error));
  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 0.5;
  config.sync_interval = 10;
  config.extension_digits = 4;
  config.ami_host = (char *) "127.0.0.1";
  config.ami_port = kc_sim_server_get_ami_port (f->sim);
  engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);
  kc_window_set_engine (f->window, engine);
  kc_engine_start (engine);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator, with instant pop-ups (AMI)"), 10);

  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  kc_sim_server_drop_ami (f->sim);
  KC_TEST_WAIT_UNTIL (shows (f, "Instant pop-ups (AMI) are off"), 10);
  KC_TEST_WAIT_UNTIL (shows (f, "Authentication failed"), 10);
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), "Connected to Kerio Operator", TRUE));

  kc_call_tracker_stop (kc_engine_get_tracker (engine));
  kc_ami_client_stop (kc_engine_get_ami (engine));
  kc_sync_stop (kc_engine_get_sync (engine));
  kc_window_set_engine (f->window, f->engine);
}

static void
test_connection_problem_in_words (Fixture       *f,
                                  gconstpointer  data)
{
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, 1000);
  KC_TEST_WAIT_UNTIL (shows (f, "cannot be reached"), 10);
  /* The reason, not only that something is wrong */
  g_assert_true (shows (f, "500"));
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_NONE, 0);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
  g_assert_false (shows (f, "500"));
}

/* A PBX that is there but refuses the password: trying again will not
 * help, so the headline says what to fix, with the PBX's words under it */
static void
test_wrong_password_in_words (Fixture       *f,
                              gconstpointer  data)
{
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
  kc_sim_server_set_credentials (f->sim, KC_SIM_DEFAULT_USERNAME, "changed-on-the-pbx");
  kc_sim_server_expire_sessions (f->sim);
  KC_TEST_WAIT_UNTIL (shows (f, "does not accept the user name or password"), 10);
  g_assert_true (shows (f, "Check them in Preferences"));
  g_assert_false (shows (f, "cannot be reached"));
  g_assert_true (shows (f, "User name or password is incorrect"));
}

static void
test_history_lists_and_filters (Fixture       *f,
                                gconstpointer  data)
{
  AdwViewStack *stack;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_cdr (f->sim, "b", now - 500, "+998902222222", "1002", KC_SIM_CDR_NO_ANSWER,
                         20, 0);
  kc_sim_server_add_cdr (f->sim, "c", now - 400, "1003", "+998903333333", KC_SIM_CDR_BUSY, 5, 0);
  kc_engine_start (f->engine);

  kc_window_show_call (f->window, "b");
  KC_TEST_WAIT_UNTIL (history_rows (f) == 3, 10);
  stack = find_view_stack (GTK_WIDGET (f->window));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "calls");
  KC_TEST_WAIT_UNTIL (shows (f, "+998902222222"), 10);
  g_assert_true (shows (f, "Missed"));
  g_assert_true (shows (f, "Busy"));
  g_assert_true (shows (f, "1:05"));
  g_assert_true (shows (f, "Outgoing"));

  /* Status: Missed (the list is All, Answered, Missed, ...) */
  gtk_drop_down_set_selected (
    GTK_DROP_DOWN (find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN, "Status")), 2);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 1, 10);
  KC_TEST_WAIT_UNTIL (!shows (f, "+998901111111"), 10);
  g_assert_true (shows (f, "+998902222222"));

  gtk_drop_down_set_selected (
    GTK_DROP_DOWN (find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN, "Status")), 0);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 3, 10);
  gtk_editable_set_text (GTK_EDITABLE (find_by_tooltip (GTK_WIDGET (f->window),
                                                        GTK_TYPE_SEARCH_ENTRY, NULL)),
                         "3333");
  KC_TEST_WAIT_UNTIL (history_rows (f) == 1, 10);
  KC_TEST_WAIT_UNTIL (shows (f, "+998903333333"), 10);
  g_assert_false (shows (f, "No Calls"));

  gtk_editable_set_text (GTK_EDITABLE (find_by_tooltip (GTK_WIDGET (f->window),
                                                        GTK_TYPE_SEARCH_ENTRY, NULL)),
                         "7777");
  KC_TEST_WAIT_UNTIL (shows (f, "No Calls"), 10);
  g_assert_false (shows (f, "+998903333333"));
}

static GtkWidget *
find_mapped_button (GtkWidget  *root,
                    const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && gtk_widget_get_mapped (child) &&
          g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      found = find_mapped_button (child, tooltip);
      if (found)
        return found;
    }
  return NULL;
}

/* The play button of a call with a recording opens the player under the
 * history, on that call */
static void
test_history_plays_recording (Fixture       *f,
                              gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *button;

  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_recording (f->sim, "rec-a", "1001", "+998901111111", now - 590, 2);
  kc_sim_server_add_cdr (f->sim, "b", now - 500, "+998902222222", "1002", KC_SIM_CDR_NO_ANSWER,
                         20, 0);
  kc_engine_start (f->engine);
  adw_view_stack_set_visible_child_name (find_view_stack (GTK_WIDGET (f->window)), "calls");
  KC_TEST_WAIT_UNTIL (history_rows (f) == 2, 10);
  KC_TEST_WAIT_UNTIL (find_mapped_button (GTK_WIDGET (f->window), "Listen to the recording"),
                      10);
  g_assert_false (shows (f, "No recording selected"));
  g_assert_false (shows (f, "+998901111111 · "));

  button = find_mapped_button (GTK_WIDGET (f->window), "Listen to the recording");
  g_signal_emit_by_name (button, "clicked");
  /* the player's title: the other party's number and when */
  KC_TEST_WAIT_UNTIL (shows (f, "+998901111111 · "), 10);
}

/* Each inscription in the history whose text is cut short */
static void
find_cut_texts (GtkWidget *root,
                GPtrArray *cut)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_INSCRIPTION (child) && gtk_widget_get_mapped (child))
        {
          const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (child));
          g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (child, text);
          int width;

          pango_layout_get_pixel_size (layout, &width, NULL);
          /* A name may be cut short where its tooltip has it whole */
          if (width > gtk_widget_get_width (child) &&
              g_strcmp0 (gtk_widget_get_tooltip_text (child), text) != 0)
            g_ptr_array_add (cut, g_strdup_printf ("%s (%d px in %d)", text, width,
                                                   gtk_widget_get_width (child)));
        }
      find_cut_texts (child, cut);
    }
}

/* The history's columns are as wide as their widest text can be, whatever
 * rows are on screen: the longest phone number, hours of talk, the longest
 * status are shown whole, also in a phone-width window, where the table
 * scrolls sideways and its columns get no more than they ask for. Only a
 * name (here the PBX's directory's) may be cut short, whole in its
 * tooltip. */
static void
test_history_texts_whole (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (GPtrArray) cut = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cut_texts = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 640);
  kc_sim_server_add_cdr (f->sim, "a", now - 40000, "+998901234567890", "+998907654321098",
                         KC_SIM_CDR_ANSWERED, 39000, 38990);
  kc_sim_server_add_cdr (f->sim, "b", now - 500, "1002", "1003", KC_SIM_CDR_NO_ANSWER, 20, 0);
  kc_sim_server_add_cdr (f->sim, "c", now - 400, "1003", "+998903333333", KC_SIM_CDR_BUSY, 5, 0);
  kc_engine_start (f->engine);

  kc_window_show_call (f->window, "a");
  KC_TEST_WAIT_UNTIL (history_rows (f) == 3, 10);
  KC_TEST_WAIT_UNTIL (shows (f, "+998901234567890"), 10);
  g_assert_true (shows (f, "+998907654321098"));
  g_assert_true (shows (f, "10:50:00"));
  g_assert_true (shows (f, "Missed"));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (f->window)) < 500, 10);
  kc_test_run_for (0.2);
  find_cut_texts (GTK_WIDGET (find_column_view (GTK_WIDGET (f->window))), cut);
  g_ptr_array_add (cut, NULL);
  cut_texts = g_strjoinv (", ", (char **) cut->pdata);
  g_assert_cmpstr (cut_texts, ==, "");
}

/* The disk fills up for real: files of this process may not grow past
 * 256 KiB (a write past that fails with EFBIG, SIGXFSZ ignored, as a full
 * disk fails with ENOSPC) until the limit is lifted again. */
static void
test_disk_full_in_words (Fixture       *f,
                         gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  struct rlimit saved, full;

  kc_sim_server_add_generated_cdrs (f->sim, "hist", 3000, now - 3000 * 60, 60);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  full = saved;
  full.rlim_cur = 256 * 1024;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &full), ==, 0);

  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (shows (f, "the disk is full"), 30);
  /* Live calls are not the history: they go on. */
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
  g_assert_cmpint (kc_store_count (f->store), <, 3000);

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  KC_TEST_WAIT_UNTIL (!shows (f, "the disk is full"), 30);
  g_assert_cmpint (kc_store_count (f->store), ==, 3000);
}

/* A history longer than the rows the page builds before its first frame,
 * and than the 200 rows GTK keeps: written straight into the store. */
#define N_LONG 1000

static GPtrArray *
write_long_history (KcStore *store,
                    gint64   newest,
                    guint    n_recorded)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);

  for (guint i = 0; i < N_LONG; i++)
    {
      KcRecord *record = kc_record_new ();

      record->call_id = g_strdup_printf ("long-%04u", i);
      record->direction = i % 2 ? KC_DIRECTION_OUTGOING : KC_DIRECTION_INCOMING;
      record->from_number = g_strdup_printf ("+99890%07u", i);
      record->to_number = g_strdup ("1001");
      record->extension = g_strdup ("1001");
      /* one a minute, long-0999 the newest */
      record->start_time = newest - (N_LONG - 1 - i) * 60;
      record->duration = 30;
      record->end_time = record->start_time + 30;
      record->status = i % 3 == 0 ? KC_CALL_STATUS_MISSED : KC_CALL_STATUS_ANSWERED;
      record->from_cdr = TRUE;
      /* the newest n_recorded calls */
      if (i >= N_LONG - n_recorded)
        record->recording_id = g_strdup_printf ("rec-%04u", i);
      g_ptr_array_add (records, record);
    }
  g_assert_true (kc_store_upsert_records (store, records, NULL, &error));
  g_assert_no_error (error);
  return records;
}

/* A label with exactly TEXT laid out inside the visible part of the
 * history list (GTK keeps rows built and mapped beyond it) */
static gboolean
label_in_view (GtkWidget  *root,
               GtkWidget  *viewport,
               const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      graphene_rect_t bounds;

      if (widget_text (child) != NULL && gtk_widget_get_mapped (child) &&
          g_strcmp0 (widget_text (child), text) == 0 &&
          gtk_widget_compute_bounds (child, viewport, &bounds) && bounds.size.height > 0 &&
          bounds.origin.y + bounds.size.height > 0 &&
          bounds.origin.y < gtk_widget_get_height (viewport))
        return TRUE;
      if (label_in_view (child, viewport, text))
        return TRUE;
    }
  return FALSE;
}

static gboolean
in_history_view (Fixture    *f,
                 const char *text)
{
  GtkWidget *view = GTK_WIDGET (find_column_view (GTK_WIDGET (f->window)));
  GtkWidget *scrolled = gtk_widget_get_ancestor (view, GTK_TYPE_SCROLLED_WINDOW);

  return label_in_view (view, scrolled, text);
}

static GtkAdjustment *
history_vadjustment (Fixture *f)
{
  return gtk_scrollable_get_vadjustment (
    GTK_SCROLLABLE (find_column_view (GTK_WIDGET (f->window))));
}

/* A long history: the page opens on its first rows and then holds every
 * row; the operator scrolls to the oldest call and back, jumps to a call
 * from a notification, and filters, and sees the right rows and counts. */
static void
test_long_history (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GPtrArray) records = NULL;
  AdwViewStack *stack;
  GtkAdjustment *adjustment;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint n_missed = 0;

  records = write_long_history (f->store, now - 3600, 0);
  for (guint i = 0; i < records->len; i++)
    n_missed += ((KcRecord *) g_ptr_array_index (records, i))->status == KC_CALL_STATUS_MISSED;

  stack = find_view_stack (GTK_WIDGET (f->window));
  adw_view_stack_set_visible_child_name (stack, "calls");
  KC_TEST_WAIT_UNTIL (history_rows (f) == N_LONG, 10);
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000999"), 10);

  /* to the bottom: the oldest call */
  adjustment = history_vadjustment (f);
  KC_TEST_WAIT_UNTIL (gtk_adjustment_get_upper (adjustment) >
                        gtk_adjustment_get_page_size (adjustment) * 10,
                      10);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000000"), 10);
  g_assert_false (in_history_view (f, "+998900000999"));

  /* a call in the middle, as a click on its notification shows it */
  kc_window_show_call (f->window, "long-0500");
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000500"), 10);
  g_assert_false (in_history_view (f, "+998900000000"));
  /* the view keeps it in view for the frames it takes to lay out the rows;
   * the operator reads it before scrolling on */
  kc_test_run_for (0.5);
  g_assert_true (in_history_view (f, "+998900000500"));

  /* back to the top */
  gtk_adjustment_set_value (adjustment, 0);
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000999"), 10);

  /* Status: Missed (the list is All, Answered, Missed, ...) */
  gtk_drop_down_set_selected (
    GTK_DROP_DOWN (find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN, "Status")), 2);
  KC_TEST_WAIT_UNTIL (history_rows (f) == n_missed, 10);
  /* long-0999 is missed (999 % 3 == 0), long-0998 and long-0997 not */
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000996"), 10);
  g_assert_true (in_history_view (f, "+998900000999"));
  g_assert_false (in_history_view (f, "+998900000998"));
  g_assert_false (in_history_view (f, "+998900000997"));
}

/* A notification for an old call opens the window on it, before the page
 * has shown a frame: the view holds every row and shows that one. */
static void
test_long_history_show_old_call (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr (GPtrArray) records = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  records = write_long_history (f->store, now - 3600, 0);
  kc_window_show_call (f->window, "long-0003");
  KC_TEST_WAIT_UNTIL (history_rows (f) == N_LONG, 10);
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000003"), 10);
  g_assert_false (in_history_view (f, "+998900000999"));
}

typedef struct
{
  Fixture *f;
  gboolean painted;
  double   rows_height; /* of the rows the view holds */
  double   page_size;
} FirstFrame;

static void
on_first_after_paint (GdkFrameClock *clock,
                      FirstFrame    *first)
{
  /* a row with no play button */
  GtkWidget *row = find_label (GTK_WIDGET (first->f->window), "+998900000998", TRUE);

  if (first->painted)
    return;
  first->painted = TRUE;
  while (row != NULL && g_strcmp0 (gtk_widget_get_css_name (row), "row") != 0)
    row = gtk_widget_get_parent (row);
  g_assert_nonnull (row);
  first->rows_height = history_rows (first->f) * (double) gtk_widget_get_height (row);
  first->page_size = gtk_adjustment_get_page_size (history_vadjustment (first->f));
}

static void
on_realize_watch_first_frame (GtkWidget  *window,
                              FirstFrame *first)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_first_after_paint), first);
}

/* A window opened on a long history: its first frame shows rows down to
 * the bottom of the list, not a few rows and blank space under them. */
static void
first_frame_fills_history (Fixture *f,
                           int      width,
                           int      height)
{
  g_autoptr (GPtrArray) records = NULL;
  FirstFrame first = { f };

  /* The newest row has a play button, which makes it taller than the
   * others: the page must not count the rows by its height. */
  records = write_long_history (f->store, g_get_real_time () / G_USEC_PER_SEC - 3600, 1);
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  kc_window_set_engine (f->window, f->engine);
  adw_view_stack_set_visible_child_name (find_view_stack (GTK_WIDGET (f->window)), "calls");
  g_signal_connect (f->window, "realize", G_CALLBACK (on_realize_watch_first_frame), &first);
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (first.painted, 10);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (f->window)),
                                        on_first_after_paint, &first);

  g_assert_cmpfloat (first.page_size, >, 100);
  g_assert_cmpfloat (first.rows_height, >=, first.page_size);
  KC_TEST_WAIT_UNTIL (in_history_view (f, "+998900000999"), 10);
}

static void
test_first_frame_fills_history (Fixture       *f,
                                gconstpointer  data)
{
  first_frame_fills_history (f, 1000, 700);
}

/* The filters wrap onto more lines there, and the list starts lower */
static void
test_first_frame_fills_narrow_history (Fixture       *f,
                                       gconstpointer  data)
{
  first_frame_fills_history (f, 360, 900);
}

/* On a phone-width window the page buttons move to the bottom of the
 * window, and switch pages there */
static void
test_narrow_window_switches_at_bottom (Fixture       *f,
                                       gconstpointer  data)
{
  AdwViewStack *stack;
  GtkWidget *label;

  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 640);
  kc_window_set_engine (f->window, f->engine);
  stack = find_view_stack (GTK_WIDGET (f->window));
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (shows (f, "No Active Calls"), 10);

  KC_TEST_WAIT_UNTIL ((label = find_label (GTK_WIDGET (f->window), "History", TRUE)) != NULL &&
                        gtk_widget_get_ancestor (label, ADW_TYPE_VIEW_SWITCHER_BAR) != NULL,
                      10);
  gtk_widget_activate (gtk_widget_get_ancestor (label, GTK_TYPE_TOGGLE_BUTTON));
  KC_TEST_WAIT_UNTIL (g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "calls") == 0,
                      10);
  KC_TEST_WAIT_UNTIL (!shows (f, "No Active Calls"), 10);
}

/* The main menu opens on its button and offers the preferences and quit */
static void
test_main_menu (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *button = find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_MENU_BUTTON, "Main Menu");

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_false (shows (f, "Preferences"));
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  KC_TEST_WAIT_UNTIL (shows (f, "Preferences"), 10);
  g_assert_true (shows (f, "Pause Pop-ups"));
  g_assert_true (shows (f, "Quit"));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  KC_TEST_WAIT_UNTIL (!shows (f, "Preferences"), 10);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  KC_TEST_WAIT_UNTIL (shows (f, "Preferences"), 10);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* GNOME's usual keys, the shortcuts window that lists them, and an About
 * window that says what this is, its version, licence and site */
static void
test_shortcuts_and_about (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (AdwApplication) app = adw_application_new ("uz.kerio.Cti.WindowTest",
                                                        G_APPLICATION_NON_UNIQUE);
  g_autoptr (GError) error = NULL;
  static const struct
  {
    const char *action;
    const char *accel;
  } expected[] = {
    { "win.find", "<Control>f" },
    { "app.preferences", "<Control>comma" },
    { "app.quit", "<Control>q" },
    { "window.close", "<Control>w" },
  };
  GtkShortcutsWindow *overlay;
  AdwAboutWindow *about;
  GtkWidget *focus;

  /* The window of the fixture has no application; this one's has, with
   * the application's shortcuts and help overlay */
  g_application_set_resource_base_path (G_APPLICATION (app), "/uz/kerio/Cti");
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  kc_window_set_accels (GTK_APPLICATION (app));
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = kc_window_new (app);
  kc_window_set_engine (f->window, f->engine);
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)), 10);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                     expected[i].action);

      g_assert_cmpstr (accels[0], ==, expected[i].accel);
    }

  /* Ctrl+F: the history, the cursor in its search box */
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (find_view_stack (GTK_WIDGET (f->window))),
                   ==, "dashboard");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "find", NULL);
  KC_TEST_WAIT_UNTIL ((focus = gtk_root_get_focus (GTK_ROOT (f->window))) != NULL &&
                        gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) != NULL,
                      10);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (find_view_stack (GTK_WIDGET (f->window))),
                   ==, "calls");

  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f->window));
  g_assert_nonnull (overlay);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "show-help-overlay", NULL);
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (overlay)), 10);
  g_assert_nonnull (find_label (GTK_WIDGET (overlay), "Search the call history", TRUE));
  gtk_window_close (GTK_WINDOW (overlay));

  kc_window_show_about (f->window);
  KC_TEST_WAIT_UNTIL ((about = (AdwAboutWindow *) find_toplevel (ADW_TYPE_ABOUT_WINDOW)) != NULL,
                      10);
  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "Kerio CTI");
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_true (g_str_has_prefix (adw_about_window_get_website (about), "https://"));
  g_assert_cmpstr (adw_about_window_get_translator_credits (about), !=, "");
  gtk_window_destroy (GTK_WINDOW (about));
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = kc_window_new (NULL);
  KC_TEST_WAIT_UNTIL (gtk_application_get_windows (GTK_APPLICATION (app)) == NULL, 10);
}

static void
stop_on_failure (KcSync  *sync,
                 GError  *error,
                 gboolean *failed)
{
  kc_sync_stop (sync);
  *failed = TRUE;
}

/* The history could not be saved before the window was first shown (the
 * window was made, then the engine ran a sync). The dashboard, built when
 * the window shows, says so, although no sync has failed since. */
static void
test_disk_full_seen_later (Fixture       *f,
                           gconstpointer  data)
{
  KcSync *sync = kc_engine_get_sync (f->engine);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  struct rlimit saved, full;
  gboolean failed = FALSE;

  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  kc_window_set_engine (f->window, f->engine);

  kc_sim_server_add_generated_cdrs (f->sim, "hist", 3000, now - 3000 * 60, 60);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  full = saved;
  full.rlim_cur = 256 * 1024;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &full), ==, 0);

  g_signal_connect (sync, "failed", G_CALLBACK (stop_on_failure), &failed);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (failed, 30);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  g_signal_handlers_disconnect_by_func (sync, stop_on_failure, &failed);

  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
  g_assert_true (shows (f, "the disk is full"));
}

/* The window opened on the history; a notification of a ringing call
 * brings up the dashboard with that call. */
static void
test_show_active_call_from_history (Fixture       *f,
                                    gconstpointer  data)
{
  GListModel *calls = kc_call_tracker_get_calls (kc_engine_get_tracker (f->engine));
  AdwViewStack *stack = find_view_stack (GTK_WIDGET (f->window));
  g_autofree char *id = NULL;

  kc_engine_start (f->engine);
  id = g_strdup (kc_sim_server_add_call_started (f->sim, "+998907654321", "Aziz Karimov", "1001",
                                                 NULL, 5));
  KC_TEST_WAIT_UNTIL (g_list_model_get_n_items (calls) == 1, 10);
  g_assert_false (shows (f, "+998907654321"));

  kc_window_show_call (f->window, id);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "dashboard");
  KC_TEST_WAIT_UNTIL (shows (f, "+998907654321"), 10);
  g_assert_true (shows (f, "Ringing"));
}

/* How the caller's history says a missed call an hour before NOW */
static const char *
missed_an_hour_ago (gint64 now)
{
  g_autoptr (GDateTime) today = g_date_time_new_from_unix_local (now);
  g_autoptr (GDateTime) then = g_date_time_new_from_unix_local (now - 3600);

  return g_date_time_get_day_of_year (today) == g_date_time_get_day_of_year (then)
           ? "2 calls in 7 days, last: missed today"
           : "2 calls in 7 days, last: missed yesterday";
}

/* With a CRM: the live call's row names the caller as the CRM does, once
 * it has answered, and says their calls before this one */
static void
test_dashboard_caller_context (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  g_autofree char *lookup = kc_sim_server_get_crm_lookup_url (f->sim);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  KcConfig config = { 0 };

  kc_call_tracker_stop (kc_engine_get_tracker (f->engine));
  g_clear_object (&f->engine);
  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 0.1;
  config.sync_interval = 0.005;
  config.extension_digits = 4;
  config.lookup_url = lookup;
  f->engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);
  kc_window_set_engine (f->window, f->engine);

  kc_sim_server_add_cdr (f->sim, "h1", now - 3600, "+998901234567", "1001", KC_SIM_CDR_NO_ANSWER,
                         20, 0);
  kc_sim_server_add_cdr (f->sim, "h2", now - 7200, "+998901234567", "1002", KC_SIM_CDR_ANSWERED,
                         60, 50);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (kc_store_count (f->store) == 2, 10);
  kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL);
  /* An hour ago is yesterday in the first hour of the day */
  KC_TEST_WAIT_UNTIL (shows (f, missed_an_hour_ago (now)), 10);
  KC_TEST_WAIT_UNTIL (shows (f, "Aziz Karimov (Sharq Savdo MChJ) · incoming to 1001"), 10);
}

int
main (int   argc,
      char *argv[])
{
  kc_test_bus_up ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/window/dashboard-follows-calls", test_dashboard_follows_calls);
  ADD ("/window/dashboard-shows-caller-name", test_dashboard_shows_caller_name);
  ADD ("/window/dashboard-caller-context", test_dashboard_caller_context);
  ADD ("/window/answered-elsewhere-in-words", test_answered_elsewhere_in_words);
  ADD ("/window/live-source-in-words", test_live_source_in_words);
  ADD ("/window/connection-problem-in-words", test_connection_problem_in_words);
  ADD ("/window/wrong-password-in-words", test_wrong_password_in_words);
  ADD ("/window/history-lists-and-filters", test_history_lists_and_filters);
  ADD ("/window/history-plays-recording", test_history_plays_recording);
  ADD ("/window/history-texts-whole", test_history_texts_whole);
  ADD ("/window/disk-full-in-words", test_disk_full_in_words);
  ADD ("/window/long-history", test_long_history);
  ADD ("/window/long-history-show-old-call", test_long_history_show_old_call);
  ADD ("/window/main-menu", test_main_menu);
  ADD ("/window/shortcuts-and-about", test_shortcuts_and_about);
  ADD ("/window/first-frame-fills-history", test_first_frame_fills_history);
  ADD ("/window/first-frame-fills-narrow-history", test_first_frame_fills_narrow_history);
  ADD ("/window/narrow-window-switches-at-bottom", test_narrow_window_switches_at_bottom);
  ADD ("/window/disk-full-seen-later", test_disk_full_seen_later);
#undef ADD
  g_test_add ("/window/show-active-call-from-history", Fixture, "calls", fixture_set_up,
              test_show_active_call_from_history, fixture_tear_down);

  return g_test_run ();
}
