/* bench-view.c: the history window over a big store
 *
 * A KcWindow over the store at DB_PATH (1,000,000 rows from bench-sync),
 * on its history page, engine not started (the store is all it reads):
 *   open_ms         kc_window_new() to the end of the first painted frame
 *                   (the page shows its first rows then, and builds the
 *                   others in the frames after it, within the second the
 *                   benchmark waits before it scrolls)
 *   frame_max_ms    the slowest frame while the column view is scrolled
 *                   ROWS rows, a few rows per frame through its vadjustment;
 *                   a frame counts from the frame clock's "update" (where the
 *                   tick callback moves the adjustment) to "after-paint"
 *   frames_over_16  how many of those frames took more than 16 ms
 *   open_cpu_ms, frame_cpu_max_ms, frames_cpu_over_16
 *                   the same in CPU time of the main thread, which the other
 *                   processes of a loaded machine do not inflate
 *   gap_cpu_max_ms  the most CPU time the main thread spent between two
 *                   frames of the scroll (idle work such as reading ahead):
 *                   frame + gap must fit in a frame interval too
 *   rss_mb          VmRSS afterwards
 *
 * usage: bench-view DB_PATH [ROWS]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>

#include "ui/kc-window.h"
#include "kc-bench-util.h"

/* Under `valgrind --tool=callgrind`, each frame of the scroll is dumped on
 * its own (the dumps named "frame"), the time between frames apart ("gap"):
 * per-frame instruction counts. Elsewhere these do nothing. */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_DUMP_STATS_AT(name)
#endif

#define ROWS_PER_FRAME 20

typedef struct
{
  GtkWidget     *view;
  GtkAdjustment *vadjustment;
  double         opened_at;
  double         opened_cpu;
  double         first_frame;
  double         first_frame_cpu;
  double         update_at;
  double         update_cpu;
  double         painted_cpu;
  double         row_height;
  double         target;
  guint          rows;
  GArray        *frames;
  GArray        *frames_cpu;
  GArray        *gaps_cpu;
  gboolean       painted;
  gboolean       scrolling;
  gboolean       done;
} Bench;

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

/* CPU time of the calling thread (the main loop's), user + system */
static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
on_update (GdkFrameClock *clock,
           Bench         *bench)
{
  bench->update_at = kc_bench_now_ms ();
  bench->update_cpu = thread_cpu_ms ();
  if (bench->scrolling)
    CALLGRIND_DUMP_STATS_AT ("gap");
  if (bench->scrolling && bench->painted_cpu > 0)
    {
      double gap = bench->update_cpu - bench->painted_cpu;

      g_array_append_val (bench->gaps_cpu, gap);
    }
}

static void
on_after_paint (GdkFrameClock *clock,
                Bench         *bench)
{
  double now = kc_bench_now_ms ();
  double cpu = thread_cpu_ms ();

  if (!bench->painted)
    {
      bench->first_frame = now - bench->opened_at;
      bench->first_frame_cpu = cpu - bench->opened_cpu;
      bench->painted = TRUE;
    }
  if (bench->scrolling && bench->update_at > 0)
    {
      double ms = now - bench->update_at;
      double cpu_ms = cpu - bench->update_cpu;

      g_array_append_val (bench->frames, ms);
      g_array_append_val (bench->frames_cpu, cpu_ms);
      CALLGRIND_DUMP_STATS_AT ("frame");
      if (g_getenv ("KC_DUMP")) g_printerr ("FRAME %.3f %.3f %.3f\n", bench->update_at, ms, cpu_ms);
    }
  bench->update_at = 0;
  bench->painted_cpu = cpu;
}

static void
on_realize (GtkWidget *window,
            Bench     *bench)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  g_signal_connect (clock, "update", G_CALLBACK (on_update), bench);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), bench);
}

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  Bench *bench = user_data;
  double value = gtk_adjustment_get_value (bench->vadjustment);
  double max = gtk_adjustment_get_upper (bench->vadjustment) -
               gtk_adjustment_get_page_size (bench->vadjustment);

  if (value >= bench->target || value >= max)
    {
      bench->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  gtk_adjustment_set_value (bench->vadjustment, value + ROWS_PER_FRAME * bench->row_height);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcEngine) engine = NULL;
  KcConfig config = { 0 };
  KcWindow *window;
  GtkWidget *stack;
  GListModel *model;
  Bench bench = { 0 };
  gboolean settled = FALSE;

  if (argc < 2)
    {
      g_printerr ("usage: bench-view DB_PATH [ROWS]\n");
      return EXIT_FAILURE;
    }
  bench.rows = argc > 2 ? (guint) atoi (argv[2]) : 10000;
  bench.frames = g_array_new (FALSE, FALSE, sizeof (double));
  bench.frames_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  bench.gaps_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  adw_init ();
  {
    /* The application's stylesheet, which AdwApplication would load from
     * its resources: the rows are measured and drawn as the app does */
    g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (provider, "/uz/kerio/Cti/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  store = kc_store_open (argv[1], &error);
  if (store == NULL)
    g_error ("%s", error->message);
  /* Nothing listens there; the engine is never started */
  config.endpoint = g_uri_parse ("http://127.0.0.1:9/admin/api/jsonrpc/", G_URI_FLAGS_NONE, NULL);
  config.username = (char *) "admin";
  config.password = (char *) "demo";
  config.poll_interval = 1;
  config.sync_interval = 60;
  config.extension_digits = 4;
  engine = kc_engine_new (&config, store);
  g_uri_unref (config.endpoint);

  bench.opened_at = kc_bench_now_ms ();
  bench.opened_cpu = thread_cpu_ms ();
  window = kc_window_new (NULL);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize), &bench);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  kc_window_set_engine (window, engine);
  stack = find_type (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK);
  if (stack == NULL)
    g_error ("The window has no view stack");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "calls");
  gtk_window_present (GTK_WINDOW (window));
  if (!kc_bench_wait (&bench.painted, 30))
    g_error ("The window never painted");

  /* The page builds the rows beyond the first screen in the frames after
   * the first one; the scroll starts once they are all there and settled. */
  kc_bench_wait (&settled, 1);
  bench.view = find_type (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW);
  model = G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (bench.view)));
  /* Under valgrind the rows take longer than that to be built */
  for (guint i = 0; i < 60 && model != NULL && g_list_model_get_n_items (model) < bench.rows; i++)
    kc_bench_wait (&settled, 0.5);
  if (model == NULL || g_list_model_get_n_items (model) < bench.rows)
    g_error ("The history shows %u rows", model ? g_list_model_get_n_items (model) : 0);

  bench.vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (bench.view));
  bench.row_height = gtk_adjustment_get_upper (bench.vadjustment) / g_list_model_get_n_items (model);
  bench.target = gtk_adjustment_get_value (bench.vadjustment) + bench.rows * bench.row_height;
  bench.scrolling = TRUE;
  gtk_widget_add_tick_callback (bench.view, scroll_tick, &bench, NULL);
  if (!kc_bench_wait (&bench.done, 300))
    g_error ("Scrolling did not finish in 5 minutes");
  bench.scrolling = FALSE;

  {
    guint over = 0, over_cpu = 0;

    for (guint i = 0; i < bench.frames->len; i++)
      {
        over += g_array_index (bench.frames, double, i) > 16.0;
        over_cpu += g_array_index (bench.frames_cpu, double, i) > 16.0;
      }
    kc_bench_result ("open_ms", bench.first_frame);
    kc_bench_result ("frames", bench.frames->len);
    kc_bench_result ("frames_over_16", over);
    kc_bench_result ("frame_p50_ms", kc_bench_quantile ((double *) bench.frames->data,
                                                        bench.frames->len, 0.5));
    kc_bench_result ("frame_max_ms", kc_bench_quantile ((double *) bench.frames->data,
                                                        bench.frames->len, 1.0));
    kc_bench_result ("open_cpu_ms", bench.first_frame_cpu);
    kc_bench_result ("frames_cpu_over_16", over_cpu);
    kc_bench_result ("frame_cpu_p50_ms", kc_bench_quantile ((double *) bench.frames_cpu->data,
                                                            bench.frames_cpu->len, 0.5));
    kc_bench_result ("frame_cpu_max_ms", kc_bench_quantile ((double *) bench.frames_cpu->data,
                                                            bench.frames_cpu->len, 1.0));
    kc_bench_result ("gap_cpu_max_ms", kc_bench_quantile ((double *) bench.gaps_cpu->data,
                                                          bench.gaps_cpu->len, 1.0));
  }
  kc_bench_result ("rss_mb", kc_bench_rss_mb ());

  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (bench.frames);
  g_array_unref (bench.frames_cpu);
  g_array_unref (bench.gaps_cpu);
  return EXIT_SUCCESS;
}
