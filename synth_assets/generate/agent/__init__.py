"""Agent trajectories: a model solves a task by calling tools it is given (a calculator and
Python in the code sandbox), each call executed and its result fed back, up to a step limit."""
