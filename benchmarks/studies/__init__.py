"""Why methods do what they do: ablations, validation grids and code statistics."""
