# The output store path of every step on every system (`dev/out-paths`): a changed name, argv, environment or
# pinned hash moves a step's path, so the committed list (tests/golden/out-paths.json) shows such a change.
let
  rootstock = import ../. { root = ../..; };
in
builtins.mapAttrs (_system: steps: builtins.mapAttrs (_name: step: step.outPath) (removeAttrs steps [ "default" ]))
  rootstock.stages
