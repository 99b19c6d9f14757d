/* kc-bench-util.h: clocks, memory and the result lines tests/bench/run reads
 *
 * Every benchmark prints its measurements on stdout as
 *   RESULT <name> <value>
 * one per line; the run script collects them over several runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double
kc_bench_now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time of this process (all threads), user + system */
static inline double
kc_bench_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* VmRSS of this process in MB, -1 when /proc says nothing */
static inline double
kc_bench_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  if (line == NULL)
    return -1;
  return g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0;
}

static inline void
kc_bench_result (const char *name,
                 double      value)
{
  printf ("RESULT %s %.4f\n", name, value);
  fflush (stdout);
}

static inline int
kc_bench_compare_doubles (gconstpointer a,
                          gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n values, sorting them in place */
static inline double
kc_bench_quantile (double *values,
                   guint   n,
                   double  q)
{
  guint i;

  if (n == 0)
    return -1;
  qsort (values, n, sizeof (double), kc_bench_compare_doubles);
  i = (guint) MIN ((double) n - 1, q * n);
  return values[i];
}

static inline gboolean
kc_bench_wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default main context until *flag is set, at most `seconds` */
static inline gboolean
kc_bench_wait (const gboolean *flag,
               double          seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  guint wake = g_timeout_add (50, kc_bench_wake, NULL);

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake);
  return *flag;
}
