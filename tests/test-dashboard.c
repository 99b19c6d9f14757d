/* test-dashboard.c: "To call back" and today's figures on the dashboard
 *
 * A real engine, for the operator's extension 1001, polls and syncs the
 * simulator; the window is realized under Xvfb and read as a person would
 * read it: the labels on screen, the chart's colours.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "config.h"

#include "core/kc-store.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "ui/kc-hour-chart.h"
#include "ui/kc-window.h"

#define CALLER   "+998901234567"
#define OPERATOR "1001"

typedef struct
{
  char        *home;
  KcSimServer *sim;
  KcStore     *store;
  KcEngine    *engine;
  KcWindow    *window;
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

/* A mapped label whose text is exactly / contains `text` */
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

      if (label != NULL && gtk_widget_get_mapped (child) &&
          (exact ? g_strcmp0 (label, text) == 0 : strstr (label, text) != NULL))
        return child;
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

/* The mapped widget of `type` whose tooltip is `tooltip` */
static GtkWidget *
find_by_tooltip (GtkWidget  *root,
                 GType       type,
                 const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && gtk_widget_get_mapped (child) &&
          g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      found = find_by_tooltip (child, type, tooltip);
      if (found)
        return found;
    }
  return NULL;
}

/* What a figure's card says: its number, above its name */
static const char *
figure (Fixture    *f,
        const char *name)
{
  GtkWidget *caption = find_label (GTK_WIDGET (f->window), name, TRUE);
  GtkWidget *value = caption ? gtk_widget_get_prev_sibling (caption) : NULL;

  return value ? gtk_label_get_text (GTK_LABEL (value)) : NULL;
}

static gboolean
figure_is (Fixture    *f,
           const char *name,
           const char *value)
{
  return g_strcmp0 (figure (f, name), value) == 0;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *db = NULL;
  KcConfig config = { 0 };
  int width = GPOINTER_TO_INT (data);

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
  config.extension = (char *) OPERATOR;
  config.extension_digits = 4;
  f->engine = kc_engine_new (&config, f->store);
  g_uri_unref (config.endpoint);

  f->window = kc_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width > 0 ? width : 1000, 900);
  kc_window_set_engine (f->window, f->engine);
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)), 10);
  kc_engine_start (f->engine);
  KC_TEST_WAIT_UNTIL (shows (f, "Connected to Kerio Operator"), 10);
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

/* A call from `from` to `to` that rings and is answered or not */
static void
call (Fixture    *f,
      const char *from,
      const char *to,
      gboolean    answered)
{
  g_autofree char *id = g_strdup (kc_sim_server_add_call (f->sim, from, NULL, to, NULL));

  KC_TEST_WAIT_UNTIL (shows (f, "Ringing"), 10);
  if (answered)
    {
      g_assert_true (kc_sim_server_answer_call (f->sim, id));
      KC_TEST_WAIT_UNTIL (find_label (GTK_WIDGET (f->window), "Talking", TRUE) != NULL, 10);
    }
  g_assert_true (kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER));
  KC_TEST_WAIT_UNTIL (shows (f, "No Active Calls"), 10);
}

/* The caller who was missed waits on the dashboard, attempt after attempt,
 * through the syncs that replace the live rows, and leaves by themselves
 * when the operator's call reaches them */
static void
test_missed_caller_waits_until_reached (Fixture       *f,
                                        gconstpointer  data)
{
  g_assert_true (shows (f, "Nobody to call back"));

  call (f, CALLER, OPERATOR, FALSE);
  KC_TEST_WAIT_UNTIL (shows (f, "To call back (1)"), 10);
  g_assert_true (shows (f, CALLER));
  g_assert_true (shows (f, "1 attempt: "));
  KC_TEST_WAIT_UNTIL (figure_is (f, "Missed", "1") && figure_is (f, "Still to call back", "1"),
                      10);

  /* A colleague's missed call, which the sync brings, is theirs to return,
   * not this operator's */
  kc_sim_server_add_cdr (f->sim, "colleague", g_get_real_time () / G_USEC_PER_SEC,
                         "+998935550011", "1002", KC_SIM_CDR_NO_ANSWER, 20, 0);
  kc_test_run_for (1);
  g_assert_true (shows (f, "To call back (1)"));
  g_assert_false (shows (f, "+998935550011"));

  call (f, CALLER, OPERATOR, FALSE);
  KC_TEST_WAIT_UNTIL (shows (f, "2 attempts: "), 10);
  g_assert_true (shows (f, "To call back (1)"));
  /* Several syncs later, still there */
  kc_test_run_for (1.5);
  g_assert_true (shows (f, "2 attempts: "));

  /* The operator calls back and is answered */
  call (f, OPERATOR, CALLER, TRUE);
  KC_TEST_WAIT_UNTIL (shows (f, "Nobody to call back"), 10);
  g_assert_false (shows (f, "To call back ("));
  KC_TEST_WAIT_UNTIL (figure_is (f, "Still to call back", "0") && figure_is (f, "Outgoing", "1")
                      && figure_is (f, "Missed", "2"), 10);
}

static void
test_mark_done (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *done;

  call (f, CALLER, OPERATOR, FALSE);
  KC_TEST_WAIT_UNTIL (shows (f, "To call back (1)"), 10);
  done = find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_BUTTON, "Call back done");
  g_assert_nonnull (done);
  g_signal_emit_by_name (done, "clicked");
  KC_TEST_WAIT_UNTIL (shows (f, "Nobody to call back"), 10);
  g_assert_false (shows (f, CALLER));
  KC_TEST_WAIT_UNTIL (figure_is (f, "Still to call back", "0"), 10);

  /* Calling again, a moment later (the PBX's times are in whole seconds),
   * puts them back */
  kc_test_run_for (1.1);
  call (f, CALLER, OPERATOR, FALSE);
  KC_TEST_WAIT_UNTIL (shows (f, "To call back (1)"), 10);
  g_assert_true (shows (f, "1 attempt: "));
}

/* The colours of the chart's filled rectangles, counted */
static void
count_colors (GskRenderNode *node,
              const GdkRGBA *answered,
              const GdkRGBA *missed,
              guint         *n_answered,
              guint         *n_missed)
{
  switch (gsk_render_node_get_node_type (node))
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        count_colors (gsk_container_node_get_child (node, i), answered, missed, n_answered,
                      n_missed);
      break;
    case GSK_TRANSFORM_NODE:
      count_colors (gsk_transform_node_get_child (node), answered, missed, n_answered, n_missed);
      break;
    case GSK_ROUNDED_CLIP_NODE:
      count_colors (gsk_rounded_clip_node_get_child (node), answered, missed, n_answered,
                    n_missed);
      break;
    case GSK_CLIP_NODE:
      count_colors (gsk_clip_node_get_child (node), answered, missed, n_answered, n_missed);
      break;
    case GSK_COLOR_NODE:
      *n_answered += gdk_rgba_equal (gsk_color_node_get_color (node), answered);
      *n_missed += gdk_rgba_equal (gsk_color_node_get_color (node), missed);
      break;
    default:
      break;
    }
}

/* Answered and missed hours in the theme's own two colours, light and dark */
static void
test_chart_colors (Fixture       *f,
                   gconstpointer  data)
{
  GtkWidget *chart = find_type (GTK_WIDGET (f->window), KC_TYPE_HOUR_CHART);
  GtkStyleContext *style;
  GdkRGBA answered, missed;

  g_assert_nonnull (chart);
  call (f, CALLER, OPERATOR, FALSE);
  call (f, "+998935550011", OPERATOR, TRUE);
  KC_TEST_WAIT_UNTIL (figure_is (f, "Answered", "1") && figure_is (f, "Missed", "1"), 10);

  for (int dark = 0; dark <= 1; dark++)
    {
      g_autoptr (GskRenderNode) node = NULL;
      GtkSnapshot *snapshot;
      guint n_answered = 0, n_missed = 0;

      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                               : ADW_COLOR_SCHEME_FORCE_LIGHT);
      kc_test_run_for (0.2);
      style = gtk_widget_get_style_context (chart);
      g_assert_true (gtk_style_context_lookup_color (style, "accent_color", &answered));
      g_assert_true (gtk_style_context_lookup_color (style, "error_color", &missed));

      snapshot = gtk_snapshot_new ();
      GTK_WIDGET_GET_CLASS (chart)->snapshot (chart, snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      g_assert_nonnull (node);
      count_colors (node, &answered, &missed, &n_answered, &n_missed);
      /* A bar and the legend's swatch each */
      g_assert_cmpuint (n_answered, ==, 2);
      g_assert_cmpuint (n_missed, ==, 2);
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);
}

/* At 360 px nothing makes the window wider, and the list and the figures
 * are all there */
static void
test_narrow (Fixture       *f,
             gconstpointer  data)
{
  GtkWidget *page = find_type (GTK_WIDGET (f->window), g_type_from_name ("KcDashboardPage"));
  int width, min_width;
  GtkWidget *done, *chart;

  /* Mapped is not yet laid out */
  KC_TEST_WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (f->window)) > 0, 10);
  kc_test_run_for (0.2);
  width = gtk_widget_get_width (GTK_WIDGET (f->window));

  /* The window is as narrow as its other parts let it be (the header bar,
   * the history: a little over 360 px here); the dashboard asks for less,
   * with a caller to call back and the figures shown as without */
  g_assert_true (shows (f, "Nobody to call back"));
  call (f, CALLER, OPERATOR, FALSE);
  KC_TEST_WAIT_UNTIL (shows (f, "To call back (1)") && figure_is (f, "Missed", "1"), 10);
  kc_test_run_for (0.2);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->window)), ==, width);
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  g_assert_cmpint (min_width, <=, 360);
  done = find_by_tooltip (GTK_WIDGET (f->window), GTK_TYPE_BUTTON, "Call back done");
  g_assert_nonnull (done);
  g_assert_cmpint (gtk_widget_get_width (done), >, 0);
  g_assert_true (figure_is (f, "Incoming", "1"));
  chart = find_type (GTK_WIDGET (f->window), KC_TYPE_HOUR_CHART);
  g_assert_true (gtk_widget_get_mapped (chart));
  g_assert_cmpint (gtk_widget_get_width (chart), >=, 24 * 4);
  g_assert_cmpint (gtk_widget_get_width (chart), <, 360);
}

int
main (int   argc,
      char *argv[])
{
  kc_test_bus_up ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/dashboard/missed-caller-waits-until-reached", test_missed_caller_waits_until_reached);
  ADD ("/dashboard/mark-done", test_mark_done);
  ADD ("/dashboard/chart-colors", test_chart_colors);
#undef ADD
  g_test_add ("/dashboard/narrow", Fixture, GINT_TO_POINTER (360), fixture_set_up, test_narrow,
              fixture_tear_down);

  return g_test_run ();
}
