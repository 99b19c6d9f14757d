/* bench-export.c: the history as CSV, as kerio-cti --export and the
 * history page's Export write it
 *
 * Every row of the store at DB_PATH (tests/bench/run fills it with
 * 1,000,000 rows through bench-sync) written to OUT_PATH by
 * kc_export_run(); wall-clock and CPU time, rows per second, the file's
 * size.
 *
 * usage: bench-export DB_PATH OUT_PATH
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "core/kc-export.h"
#include "kc-bench-util.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcExport) export = NULL;
  GStatBuf st;
  double wall, cpu;

  if (argc < 3)
    {
      g_printerr ("usage: bench-export DB_PATH OUT_PATH\n");
      return EXIT_FAILURE;
    }
  export = kc_export_new (argv[1], NULL);
  wall = kc_bench_now_ms ();
  cpu = kc_bench_cpu_ms ();
  if (!kc_export_run (export, argv[2], NULL, &error))
    g_error ("%s", error->message);
  wall = kc_bench_now_ms () - wall;
  cpu = kc_bench_cpu_ms () - cpu;
  if (g_stat (argv[2], &st) != 0)
    g_error ("No file at %s", argv[2]);
  kc_bench_result ("rows", kc_export_get_n_written (export));
  kc_bench_result ("export_s", wall / 1000);
  kc_bench_result ("export_cpu_s", cpu / 1000);
  kc_bench_result ("rows_per_s", kc_export_get_n_written (export) / (wall / 1000));
  kc_bench_result ("file_mb", st.st_size / 1e6);
  g_unlink (argv[2]);
  return EXIT_SUCCESS;
}
