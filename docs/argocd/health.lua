-- ArgoCD health check for ops.kubedb.com/SinglestoreOpsRequest (Lua 5.1, as ArgoCD runs
-- it: the object is the global `obj`, the result the table returned). Installed as
-- resource.customizations.health.ops.kubedb.com_SinglestoreOpsRequest in argocd-cm
-- (docs/install.md, "ArgoCD health check"); tested by test/install/argocd-health.test.ts.
--   Successful                              -> Healthy
--   "" / Pending / Progressing / Approved   -> Progressing (with the step it is on)
--   WaitingForApproval                      -> Suspended
--   Failed                                  -> Degraded (the failing condition's message)
--   Skipped                                 -> Suspended (the newer request that runs instead)
--   Denied                                  -> Degraded
hs = {}
local phase = ""
local conditions = {}
if obj.status ~= nil then
  if obj.status.phase ~= nil then phase = obj.status.phase end
  if obj.status.conditions ~= nil then conditions = obj.status.conditions end
end

-- The newest condition matching `want` (by lastTransitionTime; RFC 3339 times compare as
-- strings; on a tie the later one in the list, as conditions are appended in order).
local function newest(want)
  local best = nil
  for _, c in ipairs(conditions) do
    if want(c) then
      if best == nil or (c.lastTransitionTime or "") >= (best.lastTransitionTime or "") then best = c end
    end
  end
  return best
end

local function any(c) return true end

local function describe(c)
  if c == nil then return nil end
  if c.message ~= nil and c.message ~= "" then return c.message end
  return c.type
end

if phase == "Successful" then
  hs.status = "Healthy"
  hs.message = describe(newest(function(c) return c.type == "Successful" end)) or "Successful"
elseif phase == "Failed" then
  hs.status = "Degraded"
  -- KubeDB's and sdb-tls-guard's failing condition has reason Failed (sdb-tls-guard: type
  -- Failed too); else the newest condition that is not True.
  local c = newest(function(c) return c.reason == "Failed" or c.type == "Failed" end)
  if c == nil then c = newest(function(c) return c.status == "False" end) end
  hs.message = describe(c) or "the ops request failed"
elseif phase == "Skipped" then
  hs.status = "Suspended"
  local c = newest(function(c) return c.type == "Skipped" end)
  local msg = describe(c) or ""
  local newer = string.match(msg, "SinglestoreOpsRequest%s+([%w%.%-]+/[%w%.%-]+)")
  if newer == nil then newer = string.match(msg, "([%w%.%-]+/[%w%.%-]+)%s*$") end
  if newer ~= nil then
    hs.message = "Skipped in favour of the newer SinglestoreOpsRequest " .. newer
  elseif msg ~= "" then
    hs.message = msg
  else
    hs.message = "Skipped in favour of a newer SinglestoreOpsRequest"
  end
elseif phase == "Denied" then
  hs.status = "Degraded"
  hs.message = describe(newest(function(c) return c.type == "Denied" or c.reason == "Denied" end)) or "the ops request was denied"
elseif phase == "WaitingForApproval" then
  hs.status = "Suspended"
  hs.message = "waiting for approval"
elseif phase == "" or phase == "Pending" or phase == "Progressing" or phase == "Approved" then
  hs.status = "Progressing"
  local c = newest(any)
  if c ~= nil then
    hs.message = phase .. ": " .. c.type
    if c.message ~= nil and c.message ~= "" then hs.message = hs.message .. ": " .. c.message end
  elseif phase == "" then
    hs.message = "waiting for the ops-manager to pick it up"
  else
    hs.message = phase
  end
else
  hs.status = "Unknown"
  hs.message = "unknown phase " .. phase
end
return hs
