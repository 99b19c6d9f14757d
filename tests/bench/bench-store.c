/* bench-store.c: the store's share of a sync, without HTTP or JSON
 *
 * N CDRs made in memory the way kerio-sim --history makes them (a few
 * hundred customers' numbers and ten extensions, 60 % answered), turned
 * into records by kc_sync_record_from_cdr() and stored newest first in
 * pages of 500, one kc_store_upsert_records() each, into a fresh store at
 * DB_PATH: what a first sync asks of the store. Prints the CPU time per
 * record of the upserts alone (main thread; and the system time in it), of
 * the whole process (with the
 * checkpoints' thread and the making of the records), the wall-clock rate,
 * and the main thread's µs per record over each tenth of the run (how the
 * cost grows with the table).
 *
 * usage: bench-store DB_PATH [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "core/kc-sync.h"
#include "kc-bench-util.h"

#define PAGE 500
#define HISTORY_SPAN (14 * 24 * 3600)

static const char *const prefixes[] = {
  "+99890", "+99891", "+99893", "+99894", "+99895", "+99897", "+99898", "+99899",
};

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* System time of this thread (the kernel's side of SQLite's reads and
 * writes) */
static double
thread_sys_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

/* splitmix64's finaliser: spreads consecutive integers over 32 bits */
static guint32
scramble (guint64 x)
{
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return (guint32) (x ^ (x >> 31));
}

static void
remove_db (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_remove (path);
  g_remove (wal);
  g_remove (shm);
}

/* Row I (0 = oldest) of the history, as the client hands it over */
static KcRecord *
make_record (char   mobiles[][16],
             guint  i,
             gint64 first_ts,
             gint64 step)
{
  guint32 h = scramble (i);
  char extension[8];
  char id[32];
  const char *mobile = mobiles[h % 256];
  gboolean incoming = (h >> 24) % 10 < 7;
  guint outcome = (h >> 12) % 100;
  guint ring = 2 + (h >> 20) % 14;
  guint talk = 5 + scramble (h) % 116;
  KcCdr cdr = { 0 };

  g_snprintf (extension, sizeof extension, "%u", 1001 + (h >> 8) % 10);
  g_snprintf (id, sizeof id, "hist-%u", i);
  cdr.id = id;
  cdr.timestamp = first_ts + (gint64) i * step;
  cdr.from_number = incoming ? (char *) mobile : extension;
  cdr.to_number = incoming ? extension : (char *) mobile;
  cdr.call_duration = ring;
  cdr.answered_duration = 0;
  if (outcome < 60)
    {
      cdr.status = 4;
      cdr.answered_duration = talk;
      cdr.call_duration = ring + talk;
    }
  else
    {
      cdr.status = outcome < 85 ? 3 : outcome < 95 ? 2 : 1;
    }
  return kc_sync_record_from_cdr (&cdr, "1001", 4);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  char mobiles[256][16];
  guint n;
  gint64 step, first_ts;
  double store_ms = 0, tenth_ms = 0, store_sys_ms = 0;
  double wall, cpu;
  guint n_new_total = 0;
  guint done = 0, tenth_rows = 0, next_tenth;

  if (argc < 2)
    {
      g_printerr ("usage: bench-store DB_PATH [N]\n");
      return EXIT_FAILURE;
    }
  n = argc > 2 ? (guint) atoi (argv[2]) : 1000000;
  step = MAX (1, HISTORY_SPAN / n);
  first_ts = g_get_real_time () / G_USEC_PER_SEC - step * n;
  for (guint i = 0; i < 256; i++)
    g_snprintf (mobiles[i], sizeof mobiles[i], "%s%07u", prefixes[i % G_N_ELEMENTS (prefixes)],
                scramble (G_GUINT64_CONSTANT (1) << 40 | i) % 10000000);

  remove_db (argv[1]);
  store = kc_store_open (argv[1], &error);
  if (store == NULL)
    g_error ("%s", error->message);

  next_tenth = MAX (n / 10, 1);
  wall = kc_bench_now_ms ();
  cpu = kc_bench_cpu_ms ();
  /* Newest first, as CallHistory.get pages come */
  for (guint end = n; end > 0;)
    {
      guint start = end > PAGE ? end - PAGE : 0;
      g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
      guint n_new;
      double t, sys;

      for (guint i = end; i > start; i--)
        g_ptr_array_add (records, make_record (mobiles, i - 1, first_ts, step));
      t = thread_cpu_ms ();
      sys = thread_sys_ms ();
      if (!kc_store_upsert_records (store, records, &n_new, &error))
        g_error ("%s", error->message);
      t = thread_cpu_ms () - t;
      store_sys_ms += thread_sys_ms () - sys;
      store_ms += t;
      tenth_ms += t;
      n_new_total += n_new;
      done += end - start;
      tenth_rows += end - start;
      end = start;
      if (done >= next_tenth || end == 0)
        {
          g_printerr ("# %u rows: %.2f us/record (main thread, this tenth)\n", done,
                      tenth_ms * 1000.0 / tenth_rows);
          tenth_ms = 0;
          tenth_rows = 0;
          next_tenth += MAX (n / 10, 1);
        }
    }
  if (!kc_store_set_complete_until (store, first_ts + (gint64) (n - 1) * step, &error))
    g_error ("%s", error->message);
  wall = kc_bench_now_ms () - wall;
  cpu = kc_bench_cpu_ms () - cpu;
  if (n_new_total != n)
    g_error ("Stored %u new records of %u", n_new_total, n);
  g_clear_object (&store);

  kc_bench_result ("records", n);
  kc_bench_result ("store_cpu_us_per_record", store_ms * 1000.0 / n);
  kc_bench_result ("store_sys_us_per_record", store_sys_ms * 1000.0 / n);
  kc_bench_result ("process_cpu_us_per_record", cpu * 1000.0 / n);
  kc_bench_result ("records_per_s", n / (wall / 1000.0));
  return EXIT_SUCCESS;
}
