/* test-calls-page.c: the history page: who the calls were with, the row's
 * menu, and Export
 *
 * A real engine syncs from the simulator; the window is realized under
 * Xvfb and read as the operator reads it. The export is driven through the
 * page's history.export-to action, which is Export… without the file
 * dialog.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "core/kc-store-context.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "ui/kc-calls-page.h"
#include "ui/kc-export-bar.h"
#include "ui/kc-window.h"

#define BOM "\xEF\xBB\xBF"

typedef struct
{
  char        *home;
  KcSimServer *sim;
  KcStore     *store;
  KcEngine    *engine;
  KcWindow    *window;
  GPtrArray   *urls; /* from the page's "open-url" */
} Fixture;

static const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  return NULL;
}

/* A mapped label or inscription showing text */
static gboolean
shows_under (GtkWidget  *root,
             const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *label = widget_text (child);

      if (label != NULL && gtk_widget_get_mapped (child) && strstr (label, text) != NULL)
        return TRUE;
      if (shows_under (child, text))
        return TRUE;
    }
  return FALSE;
}

static gboolean
shows (Fixture    *f,
       const char *text)
{
  return shows_under (GTK_WIDGET (f->window), text);
}

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

static GtkWidget *
page (Fixture *f)
{
  return find_type (GTK_WIDGET (f->window), KC_TYPE_CALLS_PAGE);
}

static guint
history_rows (Fixture *f)
{
  GtkColumnView *view = (GtkColumnView *) find_type (GTK_WIDGET (f->window),
                                                     GTK_TYPE_COLUMN_VIEW);
  GListModel *model = view ? G_LIST_MODEL (gtk_column_view_get_model (view)) : NULL;

  return model ? g_list_model_get_n_items (model) : 0;
}

static void
on_open_url (KcCallsPage *calls,
             const char  *url,
             Fixture     *f)
{
  g_ptr_array_add (f->urls, g_strdup (url));
}

/* data: with a CRM (the simulator's) */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *db = NULL;
  g_autofree char *lookup = NULL;
  g_autofree char *search = NULL;
  KcConfig config = { 0 };

  f->home = kc_test_make_tmpdir ();
  f->urls = g_ptr_array_new_with_free_func (g_free);
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  db = g_build_filename (f->home, "calls.db", NULL);
  f->store = kc_store_open (db, &error);
  g_assert_no_error (error);

  url = kc_sim_server_get_endpoint_url (f->sim);
  lookup = kc_sim_server_get_crm_lookup_url (f->sim);
  search = kc_sim_server_get_crm_search_url (f->sim);
  config.endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  config.username = (char *) KC_SIM_DEFAULT_USERNAME;
  config.password = (char *) KC_SIM_DEFAULT_PASSWORD;
  config.poll_interval = 0.1;
  config.sync_interval = 0.005;
  config.extension_digits = 4;
  if (data != NULL)
    {
      config.lookup_url = lookup;
      config.crm_url = search;
    }
  f->engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);

  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  kc_window_set_engine (f->window, f->engine);
  adw_view_stack_set_visible_child_name (
    ADW_VIEW_STACK (find_type (GTK_WIDGET (f->window), ADW_TYPE_VIEW_STACK)), "calls");
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)), 10);
  KC_TEST_WAIT_UNTIL (page (f) != NULL, 10);
  g_signal_connect (page (f), "open-url", G_CALLBACK (on_open_url), f);
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
  g_ptr_array_unref (f->urls);
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

/* The Name column names the other party: the PBX's directory for its own
 * numbers, the CRM's answer, the name the PBX gave with a call */
static void
test_names (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_true (kc_store_set_crm_answer (f->store, "+998901111111", "Malika Yusupova", NULL,
                                          now, &error));
  g_assert_true (kc_store_set_pbx_name (f->store, "+998902222222", "BOBUR M", &error));
  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_cdr (f->sim, "b", now - 500, "+998902222222", "1002", KC_SIM_CDR_NO_ANSWER,
                         20, 0);
  kc_sim_server_add_cdr (f->sim, "c", now - 400, "1003", "1002", KC_SIM_CDR_BUSY, 5, 0);
  kc_sim_server_add_cdr (f->sim, "d", now - 300, "1003", "+998903333333", KC_SIM_CDR_BUSY, 5, 0);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 4, 10);
  KC_TEST_WAIT_UNTIL (shows (f, "Timur Abdullayev"), 10);
  g_assert_true (shows (f, "Malika Yusupova"));
  g_assert_true (shows (f, "BOBUR M"));
  /* The callee's name, not the caller's (1003 is Zarina Sobirova) */
  g_assert_false (shows (f, "Zarina Sobirova"));
}

static GtkWidget *
find_popover_menu (GtkWidget *root)
{
  GtkWidget *popover = find_type (root, GTK_TYPE_POPOVER_MENU);

  return popover != NULL && gtk_widget_get_visible (popover) ? popover : NULL;
}

static gboolean
menu_has (GtkWidget  *popover,
          const char *label)
{
  GMenuModel *model = gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (popover));

  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *text = NULL;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &text) &&
          g_strcmp0 (text, label) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Shift+F10 on a row: Open in CRM opens the customer's card, or the CRM's
 * page for a number it does not know; Copy number copies */
static void
test_row_menu (Fixture       *f,
               gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *search = g_strdup_printf (
    "http://127.0.0.1:%u/crm/search?number=%%2B998903333333", kc_sim_server_get_port (f->sim));
  GtkWidget *popover;

  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998903333333", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 1, 10);
  kc_window_show_call (f->window, "a");
  gtk_widget_activate_action (page (f), "history.row-menu", NULL);
  popover = find_popover_menu (page (f));
  g_assert_nonnull (popover);
  g_assert_true (menu_has (popover, "Open in CRM"));
  g_assert_true (menu_has (popover, "Copy number"));
  gtk_popover_popdown (GTK_POPOVER (popover));

  gtk_widget_activate_action (page (f), "history.open-crm", "s", "+998903333333");
  g_assert_cmpuint (f->urls->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->urls, 0), ==, search);
}

/* Without a CRM, no Open in CRM */
static void
test_row_menu_without_crm (Fixture       *f,
                           gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *popover;

  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 1, 10);
  kc_window_show_call (f->window, "a");
  gtk_widget_activate_action (page (f), "history.row-menu", NULL);
  popover = find_popover_menu (page (f));
  g_assert_nonnull (popover);
  g_assert_false (menu_has (popover, "Open in CRM"));
  g_assert_true (menu_has (popover, "Copy number"));
  gtk_widget_activate_action (page (f), "history.open-crm", "s", "+998901234567");
  g_assert_cmpuint (f->urls->len, ==, 0);
}

static GtkWidget *
find_by_tooltip (GtkWidget  *root,
                 const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      found = find_by_tooltip (child, tooltip);
      if (found)
        return found;
    }
  return NULL;
}

static guint
n_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* Export writes what the filters show, and says so */
static void
test_export_what_is_shown (Fixture       *f,
                           gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "missed.csv", NULL);
  g_autofree char *csv = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;

  kc_sim_server_add_cdr (f->sim, "a", now - 600, "+998901111111", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_cdr (f->sim, "b", now - 500, "+998902222222", "1002", KC_SIM_CDR_NO_ANSWER,
                         20, 0);
  kc_sim_server_add_cdr (f->sim, "c", now - 400, "+998903333333", "1001", KC_SIM_CDR_NO_ANSWER,
                         10, 0);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 3, 10);

  /* Missed calls only */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_by_tooltip (page (f), "Status")), 2);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 2, 10);
  gtk_widget_activate_action (page (f), "history.export-to", "s", path);
  KC_TEST_WAIT_UNTIL (shows (f, "Exported 2 calls to missed.csv"), 10);
  g_assert_true (g_file_get_contents (path, &csv, NULL, &error));
  g_assert_true (g_str_has_prefix (csv, BOM "id,callId,"));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_nonnull (strstr (lines[1], ",c,Incoming,+998903333333,1001,"));
  g_assert_nonnull (strstr (lines[2], ",b,Incoming,+998902222222,1002,"));
  g_assert_cmpstr (lines[3], ==, "");
  g_assert_cmpuint (n_files (dir), ==, 1);
  kc_test_rm_rf (dir);
}

/* A big export shows its progress; Cancel leaves no file, and says so */
static void
test_export_cancel (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "all.csv", NULL);
  GtkWidget *progress;
  guint n_new;

  for (guint i = 0; i < 50000; i++)
    {
      KcRecord *record = kc_record_new ();

      record->call_id = g_strdup_printf ("big-%u", i);
      record->direction = KC_DIRECTION_INCOMING;
      record->from_number = g_strdup_printf ("+99890%07u", i);
      record->to_number = g_strdup ("1001");
      record->extension = g_strdup ("1001");
      record->start_time = 1700000000 + i;
      record->end_time = record->start_time + 30;
      record->duration = 30;
      record->status = KC_CALL_STATUS_ANSWERED;
      record->from_cdr = TRUE;
      g_ptr_array_add (records, record);
    }
  g_assert_true (kc_store_upsert_records (f->store, records, &n_new, &error));
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (history_rows (f) == 50000, 10);

  gtk_widget_activate_action (page (f), "history.export-to", "s", path);
  progress = find_type (page (f), GTK_TYPE_PROGRESS_BAR);
  g_assert_nonnull (progress);
  g_assert_true (g_str_has_suffix (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (progress)),
                                   " of 50000 calls"));
  kc_export_bar_cancel (KC_EXPORT_BAR (find_type (page (f), KC_TYPE_EXPORT_BAR)));
  KC_TEST_WAIT_UNTIL (shows (f, "Export cancelled"), 10);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_files (dir), ==, 0);

  /* And again, to the end */
  gtk_widget_activate_action (page (f), "history.export-to", "s", path);
  KC_TEST_WAIT_UNTIL (shows (f, "Exported 50000 calls to all.csv"), 30);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_files (dir), ==, 1);
  kc_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  kc_test_bus_up ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/calls-page/names", Fixture, NULL, fixture_set_up, test_names, fixture_tear_down);
  g_test_add ("/calls-page/row-menu", Fixture, "crm", fixture_set_up, test_row_menu,
              fixture_tear_down);
  g_test_add ("/calls-page/row-menu-without-crm", Fixture, NULL, fixture_set_up,
              test_row_menu_without_crm, fixture_tear_down);
  g_test_add ("/calls-page/export-what-is-shown", Fixture, NULL, fixture_set_up,
              test_export_what_is_shown, fixture_tear_down);
  g_test_add ("/calls-page/export-cancel", Fixture, NULL, fixture_set_up, test_export_cancel,
              fixture_tear_down);

  return g_test_run ();
}
