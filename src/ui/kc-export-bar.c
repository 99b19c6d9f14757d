/* kc-export-bar.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-export-bar"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "core/kc-export.h"
#include "kc-export-bar.h"

#define PROGRESS_MS 100
/* An export done sooner than this shows no progress */
#define SHOW_AFTER_MS 300

struct _KcExportBar
{
  GtkWidget        parent_instance;

  GtkWidget       *box;
  GtkProgressBar  *progress;

  /* Of the export asked for: the dialog's, then the one running */
  char            *db_path;
  KcHistoryFilter  filter;
  guint            total;
  GtkNativeDialog *dialog;
  KcExport        *export; /* NULL when none runs */
  GCancellable    *cancellable;
  char            *path;
  guint            tick;
  guint            show_later;
  gboolean         showing;
};

G_DEFINE_FINAL_TYPE (KcExportBar, kc_export_bar, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_RUNNING,
  PROP_SHOWING,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
set_showing (KcExportBar *self,
             gboolean     showing)
{
  if (self->showing == showing)
    return;
  self->showing = showing;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SHOWING]);
}

static void
add_toast (KcExportBar *self,
           const char  *text,
           guint        timeout)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (overlay == NULL)
    return;
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, timeout);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static void
update_progress (KcExportBar *self)
{
  guint n = self->export ? (guint) MIN (kc_export_get_n_written (self->export), G_MAXUINT) : 0;
  g_autofree char *text = NULL;

  gtk_progress_bar_set_fraction (self->progress,
                                 self->total > 0 ? MIN (1.0, (double) n / self->total) : 0);
  /* TRANSLATORS: calls written so far and all the calls to export, with
   * the locale's thousands separators, e.g. "12,000 of 300,000 calls" */
  text = g_strdup_printf (ngettext ("%'u of %'u call", "%'u of %'u calls", self->total), n,
                          self->total);
  gtk_progress_bar_set_text (self->progress, text);
}

static gboolean
on_tick (gpointer data)
{
  update_progress (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_show_later (gpointer data)
{
  KcExportBar *self = data;

  self->show_later = 0;
  set_showing (self, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KcExportBar) self = user_data;
  g_autoptr (KcExport) export = g_steal_pointer (&self->export);
  g_autofree char *path = g_steal_pointer (&self->path);
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  guint n = (guint) MIN (kc_export_get_n_written (export), G_MAXUINT);

  kc_export_run_finish (export, result, &error);
  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_handle_id (&self->show_later, g_source_remove);
  g_clear_object (&self->cancellable);
  set_showing (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);

  if (error == NULL)
    {
      text = g_strdup_printf (ngettext ("Exported %u call to %s", "Exported %u calls to %s", n), n,
                              name);
      add_toast (self, text, 5);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    add_toast (self, _("Export cancelled"), 5);
  else
    {
      g_message ("Export to %s failed: %s", path, error->message);
      text = g_strdup_printf (_("Could not export the calls: %s"), error->message);
      /* Up until the operator has read it */
      add_toast (self, text, 0);
    }
}

static void
start (KcExportBar *self,
       const char  *path)
{
  self->export = kc_export_new (self->db_path, &self->filter);
  self->cancellable = g_cancellable_new ();
  self->path = g_strdup (path);
  update_progress (self);
  self->tick = g_timeout_add (PROGRESS_MS, on_tick, self);
  self->show_later = g_timeout_add (SHOW_AFTER_MS, on_show_later, self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
  kc_export_run_async (self->export, path, self->cancellable, on_done, g_object_ref (self));
}

static void
on_chosen (GtkNativeDialog *dialog,
           int              response,
           KcExportBar     *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->dialog);
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    start (self, path);
  else if (file != NULL)
    add_toast (self, _("Could not export the calls: choose a file on this computer"), 0);
  else
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
}

static void
choose_file (KcExportBar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr (GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *name = NULL;

  self->dialog = GTK_NATIVE_DIALOG (
    gtk_file_chooser_native_new (_("Export Calls"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel")));
  gtk_native_dialog_set_modal (self->dialog, TRUE);
  /* TRANSLATORS: the name the export's file is offered under, before the
   * day's date and .csv: a word for a file name, without spaces */
  name = g_strdup_printf ("%s-%s.csv", C_("file name", "calls"), day);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->dialog), name);
  gtk_file_filter_set_name (csv, _("CSV files"));
  gtk_file_filter_add_suffix (csv, "csv");
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->dialog), csv);
  g_signal_connect (self->dialog, "response", G_CALLBACK (on_chosen), self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
  gtk_native_dialog_show (self->dialog);
}

void
kc_export_bar_export (KcExportBar           *self,
                      const char            *db_path,
                      const KcHistoryFilter *filter,
                      guint                  total,
                      const char            *path)
{
  g_return_if_fail (KC_IS_EXPORT_BAR (self));
  g_return_if_fail (db_path != NULL && filter != NULL);

  if (kc_export_bar_is_running (self))
    return;
  g_free (self->db_path);
  self->db_path = g_strdup (db_path);
  g_free (self->filter.number);
  self->filter = *filter;
  self->filter.number = g_strdup (filter->number);
  self->total = total;
  if (path != NULL)
    start (self, path);
  else
    choose_file (self);
}

/* From the dialog to the toast */
gboolean
kc_export_bar_is_running (KcExportBar *self)
{
  g_return_val_if_fail (KC_IS_EXPORT_BAR (self), FALSE);
  return self->dialog != NULL || self->export != NULL;
}

void
kc_export_bar_cancel (KcExportBar *self)
{
  g_return_if_fail (KC_IS_EXPORT_BAR (self));
  g_cancellable_cancel (self->cancellable);
}

static void
kc_export_bar_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KcExportBar *self = KC_EXPORT_BAR (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, kc_export_bar_is_running (self));
      break;
    case PROP_SHOWING:
      g_value_set_boolean (value, self->showing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_export_bar_dispose (GObject *object)
{
  KcExportBar *self = KC_EXPORT_BAR (object);

  /* The thread holds a reference until it ends; a window closed meanwhile
   * stops it, and it leaves no file */
  g_cancellable_cancel (self->cancellable);
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_native_dialog_destroy (self->dialog);
      g_clear_object (&self->dialog);
    }
  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_handle_id (&self->show_later, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_EXPORT_BAR);

  G_OBJECT_CLASS (kc_export_bar_parent_class)->dispose (object);
}

static void
kc_export_bar_finalize (GObject *object)
{
  KcExportBar *self = KC_EXPORT_BAR (object);

  g_free (self->db_path);
  g_free (self->filter.number);
  g_free (self->path);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kc_export_bar_parent_class)->finalize (object);
}

static void
kc_export_bar_class_init (KcExportBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_export_bar_dispose;
  object_class->finalize = kc_export_bar_finalize;
  object_class->get_property = kc_export_bar_get_property;

  props[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                                G_PARAM_STATIC_STRINGS);
  props[PROP_SHOWING] = g_param_spec_boolean ("showing", NULL, NULL, FALSE,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                                G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-export-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, KcExportBar, box);
  gtk_widget_class_bind_template_child (widget_class, KcExportBar, progress);
  gtk_widget_class_bind_template_callback (widget_class, kc_export_bar_cancel);
}

static void
kc_export_bar_init (KcExportBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KcExportBar *
kc_export_bar_new (void)
{
  return g_object_new (KC_TYPE_EXPORT_BAR, NULL);
}
