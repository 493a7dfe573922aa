"""The browser explorer: draw, upload or film a digit or Greek letter and watch the network read it."""
