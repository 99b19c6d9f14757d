/* replay.c: feeds files to a fuzz target without libFuzzer
 *
 *   fuzz-replay-NAME PATH...
 *
 * Each PATH is a file or a folder whose files (not recursively, in name
 * order) are fed one by one to LLVMFuzzerTestOneInput, each in a buffer of
 * exactly its size so that AddressSanitizer sees a read past its end. Lets
 * the default build, with any compiler, replay the committed corpora as
 * tests. Fails when a path cannot be read or holds no input at all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fuzz-common.h"

static gboolean
replay_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree uint8_t *data = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  /* malloc (0) may return NULL; a target must cope with (NULL, 0) anyway */
  data = length > 0 ? g_memdup2 (contents, length) : NULL;
  LLVMFuzzerTestOneInput (data, length);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
replay_path (const char *path,
             guint      *n_inputs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (!replay_file (path))
        return FALSE;
      (*n_inputs)++;
      return TRUE;
    }

  dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (path, g_ptr_array_index (names, i), NULL);

      if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!replay_file (file))
        return FALSE;
      (*n_inputs)++;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  guint n_inputs = 0;

  if (argc < 2)
    {
      g_printerr ("Usage: %s FILE-OR-FOLDER...\n", argv[0]);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    if (!replay_path (argv[i], &n_inputs))
      return 1;
  if (n_inputs == 0)
    {
      g_printerr ("No inputs found\n");
      return 1;
    }
  g_print ("Replayed %u inputs without a finding\n", n_inputs);
  return 0;
}
