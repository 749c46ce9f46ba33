/** The simulator page's script (sim.html). It never loads office.js: the simulator supplies `Office`. */
document.body.dataset["ready"] = "true";
