/** The task pane's script (taskpane.html): waits for Office, then shows the pane. */
void Office.onReady(() => {
  document.body.dataset["ready"] = "true";
});
