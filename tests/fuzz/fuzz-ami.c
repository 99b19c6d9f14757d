/* fuzz-ami.c: what an Asterisk Manager Interface (or anything on its
 * port) sends, through the AMI parser
 *
 * The first byte picks a piece size; the rest is fed to kc_ami_parser_feed
 * in pieces of that size, and once at a whole. Both ways give the same
 * greeting, the same messages and the same outcome: a limit passed is
 * KC_KERIO_ERROR_TOO_LARGE with a valid UTF-8 message, and nothing else
 * fails. Every key and value is valid UTF-8 without a line feed; a key is
 * not empty and not blank at either end, and kc_ami_message_get finds it;
 * no message has more fields than a block may have lines. A message whose
 * keys and values can go into an action comes back the same through
 * kc_ami_format_action and the parser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "kerio/kc-ami-parse.h"

#include "fuzz-common.h"

#define GREETING "Asterisk Call Manager/1.3\r\n"

typedef struct
{
  char      *greeting;
  GPtrArray *messages;
  GError    *error;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_free (outcome->greeting);
  g_ptr_array_unref (outcome->messages);
  g_clear_error (&outcome->error);
}

static Outcome
parse (const char *data,
       gsize       size,
       gsize       piece)
{
  g_autoptr (KcAmiParser) parser = kc_ami_parser_new ();
  Outcome outcome = { NULL };

  outcome.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_ami_message_unref);
  for (gsize at = 0; at < size; at += piece)
    if (!kc_ami_parser_feed (parser, data + at, MIN (piece, size - at), outcome.messages,
                             &outcome.error))
      break;
  outcome.greeting = g_strdup (kc_ami_parser_get_greeting (parser));
  return outcome;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static void
check_text (const char *text)
{
  kc_fuzz_assert (text != NULL);
  kc_fuzz_assert (g_utf8_validate (text, -1, NULL));
  kc_fuzz_assert (strchr (text, '\n') == NULL);
  kc_fuzz_assert (strlen (text) <= 3 * KC_AMI_MAX_LINE);
}

static void
check_message (KcAmiMessage *message)
{
  guint n = kc_ami_message_get_n_fields (message);

  kc_fuzz_assert (n > 0);
  kc_fuzz_assert (n <= KC_AMI_MAX_BLOCK_LINES);
  for (guint i = 0; i < n; i++)
    {
      const char *key;
      const char *value;
      const char *found;

      kc_ami_message_get_field (message, i, &key, &value);
      check_text (key);
      check_text (value);
      kc_fuzz_assert (*key != '\0' && !is_blank (key[0]) && !is_blank (key[strlen (key) - 1]));
      kc_fuzz_assert (strchr (key, ':') == NULL);
      if (*value != '\0')
        kc_fuzz_assert (!is_blank (value[0]) && !is_blank (value[strlen (value) - 1]));
      /* The first of that key, in any case */
      found = kc_ami_message_get (message, key);
      kc_fuzz_assert (found != NULL);
      if (g_ascii_strcasecmp (key, "Event") == 0 && found == value)
        kc_fuzz_assert (kc_ami_message_is_event (message, value));
    }
}

static void
assert_same_message (KcAmiMessage *a,
                     KcAmiMessage *b,
                     guint         skip_b)
{
  kc_fuzz_assert (kc_ami_message_get_n_fields (a) + skip_b == kc_ami_message_get_n_fields (b));
  for (guint i = 0; i < kc_ami_message_get_n_fields (a); i++)
    {
      const char *key_a, *value_a, *key_b, *value_b;

      kc_ami_message_get_field (a, i, &key_a, &value_a);
      kc_ami_message_get_field (b, i + skip_b, &key_b, &value_b);
      kc_fuzz_assert (strcmp (key_a, key_b) == 0);
      kc_fuzz_assert (strcmp (value_a, value_b) == 0);
    }
}

/* Written as an action and read back: the same fields after "Action" */
static void
check_round_trip (KcAmiMessage *message)
{
  guint n = kc_ami_message_get_n_fields (message);
  g_autoptr (GPtrArray) pairs = g_ptr_array_new ();
  g_autoptr (GString) text = g_string_new (GREETING);
  Outcome again;

  for (guint i = 0; i < n; i++)
    {
      const char *key;
      const char *value;

      kc_ami_message_get_field (message, i, &key, &value);
      if (!kc_ami_text_is_safe (key) || !kc_ami_text_is_safe (value))
        return;
      g_ptr_array_add (pairs, (gpointer) key);
      g_ptr_array_add (pairs, (gpointer) value);
    }
  g_ptr_array_add (pairs, NULL);
  kc_ami_format_action (text, "Fuzz", (const char *const *) pairs->pdata);

  again = parse (text->str, text->len, text->len);
  /* Bytes made U+FFFD take three: the block may have grown past a limit */
  if (again.error == NULL)
    {
      kc_fuzz_assert (again.messages->len == 1);
      assert_same_message (message, g_ptr_array_index (again.messages, 0), 1);
    }
  else
    kc_fuzz_assert (g_error_matches (again.error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE));
  outcome_clear (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const gsize pieces[] = { 1, 2, 3, 5, 16, 100, 4096, 65536 };
  Outcome whole;
  Outcome in_pieces;
  gsize piece;

  kc_fuzz_init ();
  if (size == 0)
    return 0;
  piece = pieces[data[0] % G_N_ELEMENTS (pieces)];
  data++;
  size--;

  whole = parse ((const char *) data, size, MAX (size, 1));
  in_pieces = parse ((const char *) data, size, piece);

  kc_fuzz_assert (g_strcmp0 (whole.greeting, in_pieces.greeting) == 0);
  kc_fuzz_assert (whole.messages->len == in_pieces.messages->len);
  kc_fuzz_assert ((whole.error == NULL) == (in_pieces.error == NULL));
  if (whole.error != NULL)
    {
      kc_fuzz_assert (g_error_matches (whole.error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE));
      kc_fuzz_assert (g_utf8_validate (whole.error->message, -1, NULL));
      kc_fuzz_assert (strcmp (whole.error->message, in_pieces.error->message) == 0);
    }
  if (whole.greeting != NULL)
    {
      g_autofree char *version = kc_ami_parse_greeting (whole.greeting);

      check_text (whole.greeting);
      kc_fuzz_assert (version == NULL || g_str_has_prefix (whole.greeting, "Asterisk Call Manager/"));
    }

  for (guint i = 0; i < whole.messages->len; i++)
    {
      KcAmiMessage *message = g_ptr_array_index (whole.messages, i);

      check_message (message);
      assert_same_message (message, g_ptr_array_index (in_pieces.messages, i), 0);
      check_round_trip (message);
    }

  outcome_clear (&whole);
  outcome_clear (&in_pieces);
  return 0;
}
