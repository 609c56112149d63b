using Sluice.Config.Model;

namespace Sluice.Checks;

/// <summary>
/// HAProxy's rise/fall counter (<c>check->health</c>). Health goes from 0 to rise+fall-1; the server is up from
/// rise on. A checked server starts up with health = rise, so the first failed check takes it down at once
/// ("up, going down"); once up it takes <c>fall</c> failures in a row to go down, and <c>rise</c> successes in a
/// row to come back. Not thread-safe: one checker drives it, one check at a time.
/// </summary>
internal sealed class HealthState
{
    public HealthState(int rise, int fall)
    {
        Rise = rise;
        Fall = fall;
        Health = rise;
        IsUp = true;
    }

    public int Rise { get; }

    public int Fall { get; }

    public int Health { get; private set; }

    public bool IsUp { get; private set; }

    private int Full => Rise + Fall - 1;

    /// <summary>Takes over the health another counter reached (a reload), within this one's rise and fall.</summary>
    public void Adopt(HealthState other)
    {
        IsUp = other.IsUp;
        Health = other.IsUp ? Math.Max(Rise, Math.Min(other.Health, Full)) : Math.Min(other.Health, Rise - 1);
        if (IsUp && other.Health == other.Rise + other.Fall - 1)
        {
            Health = Full;
        }
    }

    /// <summary>An agent's "up" (health full) or "down"/"stopped"/"fail" (health 0); returns true when the state changes.</summary>
    public bool Force(bool up)
    {
        var changed = IsUp != up;
        Health = up ? Full : 0;
        IsUp = up;
        return changed;
    }

    /// <summary>Counts one check; returns true when the server changes state (up to down or down to up).</summary>
    public bool Report(bool passed)
    {
        if (passed)
        {
            if (Health < Full)
            {
                Health++;
                if (Health >= Rise)
                {
                    Health = Full;
                }
            }

            if (!IsUp && Health >= Rise)
            {
                IsUp = true;
                return true;
            }

            return false;
        }

        if (Health > 0)
        {
            Health--;
            if (Health < Rise)
            {
                Health = 0;
            }
        }

        if (IsUp && Health == 0)
        {
            IsUp = false;
            return true;
        }

        return false;
    }

    /// <summary>
    /// `observe` reached `error-limit` (HAProxy's __health_adjust): `fail-check` counts one failed check,
    /// `sudden-death` first leaves the server one failure away from down, `mark-down` takes it down; `fastinter`
    /// changes no health. Returns true when the state changes.
    /// </summary>
    public bool ReportAnalyzeFailure(ObserveErrorAction action)
    {
        switch (action)
        {
            case ObserveErrorAction.FastInter:
                return false;
            case ObserveErrorAction.SuddenDeath when Health > Rise:
                Health = Rise + 1;
                break;
            case ObserveErrorAction.MarkDown:
                Health = Rise;
                break;
        }

        return Report(passed: false);
    }

    /// <summary>
    /// The delay before the next check (HAProxy's <c>srv_getinter</c>): <c>inter</c> when fully up,
    /// <c>downinter</c> when fully down, <c>fastinter</c> in between; each unset one falls back to <c>inter</c>.
    /// </summary>
    public TimeSpan NextInterval(ServerCheckConfig config)
    {
        if (Health == Full)
        {
            return config.Inter;
        }

        if (!IsUp && Health == 0)
        {
            return config.DownInter ?? config.Inter;
        }

        return config.FastInter ?? config.Inter;
    }
}
