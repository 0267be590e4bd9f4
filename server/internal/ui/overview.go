package ui

import "net/http"

func (c *console) overview(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, overviewPage())
}
