/* fuzz-scrub.c: what the capture writes from an answer of the PBX
 *
 * Any body through the scrubber, plain and anonymizing. Its output is valid
 * UTF-8 and scrubbing it again changes nothing. When json-glib (the
 * client's fallback reader) takes the body, it takes the output too, with
 * the same members and rows, and no "token" or "password" member left
 * with a string other than "<redacted>".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "kerio/kc-kerio-scrub.h"

#include "fuzz-common.h"

static void
check_no_secret (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &value))
        {
          if ((g_ascii_strcasecmp (name, "token") == 0
               || g_ascii_strcasecmp (name, "password") == 0)
              && JSON_NODE_HOLDS_VALUE (value)
              && json_node_get_value_type (value) == G_TYPE_STRING)
            kc_fuzz_assert (strcmp (json_node_get_string (value), KC_KERIO_REDACTED) == 0);
          check_no_secret (value);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        check_no_secret (json_array_get_element (array, i));
    }
}

/* Only scalars change: the same members, in the same order, and rows */
static void
check_same_shape (JsonNode *a,
                  JsonNode *b)
{
  kc_fuzz_assert (JSON_NODE_TYPE (a) == JSON_NODE_TYPE (b));
  if (JSON_NODE_HOLDS_OBJECT (a))
    {
      JsonObjectIter ia;
      JsonObjectIter ib;
      const char *na;
      const char *nb;
      JsonNode *va;
      JsonNode *vb;

      kc_fuzz_assert (json_object_get_size (json_node_get_object (a))
                      == json_object_get_size (json_node_get_object (b)));
      json_object_iter_init (&ia, json_node_get_object (a));
      json_object_iter_init (&ib, json_node_get_object (b));
      while (json_object_iter_next (&ia, &na, &va))
        {
          kc_fuzz_assert (json_object_iter_next (&ib, &nb, &vb));
          kc_fuzz_assert (strcmp (na, nb) == 0);
          check_same_shape (va, vb);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (a))
    {
      JsonArray *aa = json_node_get_array (a);
      JsonArray *ab = json_node_get_array (b);

      kc_fuzz_assert (json_array_get_length (aa) == json_array_get_length (ab));
      for (guint i = 0; i < json_array_get_length (aa); i++)
        check_same_shape (json_array_get_element (aa, i), json_array_get_element (ab, i));
    }
}

static void
check (gboolean    anonymize,
       const char *body,
       size_t      size,
       JsonNode   *tree)
{
  g_autoptr (KcKerioScrubber) scrubber = kc_kerio_scrubber_new (anonymize);
  g_autoptr (KcKerioScrubber) again = kc_kerio_scrubber_new (FALSE);
  g_autofree char *out = kc_kerio_scrubber_scrub_body (scrubber, body, size);
  g_autofree char *twice = kc_kerio_scrubber_scrub_body (again, out, strlen (out));
  g_autoptr (JsonNode) out_tree = NULL;
  g_autoptr (GError) error = NULL;

  kc_fuzz_assert (g_utf8_validate (out, -1, NULL));
  kc_fuzz_assert (strcmp (out, twice) == 0);
  if (tree == NULL)
    return;
  out_tree = json_from_string (out, &error);
  kc_fuzz_assert (out_tree != NULL);
  check_no_secret (out_tree);
  check_same_shape (tree, out_tree);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *body = (const char *) data;
  g_autoptr (JsonNode) tree = NULL;
  const char *p = body;

  kc_fuzz_init ();

  /* What json-glib makes of it, when the body looks like JSON to the
   * scrubber too */
  while (p < body + size && g_ascii_isspace (*p))
    p++;
  if (p < body + size && (*p == '{' || *p == '[') && memchr (body, '\0', size) == NULL
      && g_utf8_validate (body, (gssize) size, NULL))
    {
      g_autofree char *text = g_strndup (body, size);

      tree = json_from_string (text, NULL);
    }

  check (FALSE, body, size, tree);
  check (TRUE, body, size, tree);
  return 0;
}
