namespace Sluice.Rules.Samples;

/// <summary>The lifetime of a variable: `proc`, `sess`, `txn`, `req`, `res` (configuration.txt, set-var).</summary>
internal enum VariableScope : byte
{
    Proc,
    Session,
    Transaction,
    Request,
    Response,
}

/// <summary>
/// A variable named in the configuration, resolved once at load to its scope and a slot number so that
/// reading and writing it at run time is an array access.
/// </summary>
internal sealed record VariableName(VariableScope Scope, string Name, int Slot)
{
    public string FullName => $"{ScopeName(Scope)}.{Name}";

    public static string ScopeName(VariableScope scope) => scope switch
    {
        VariableScope.Proc => "proc",
        VariableScope.Session => "sess",
        VariableScope.Transaction => "txn",
        VariableScope.Request => "req",
        _ => "res",
    };
}

/// <summary>Assigns slots to variable names while the configuration loads.</summary>
internal static class VariableNames
{
    private static readonly Dictionary<string, VariableName> Known = new(StringComparer.Ordinal);
    private static readonly int[] NextSlot = new int[5];

    /// <summary>Parses `txn.name` and friends; returns an error message or null.</summary>
    public static string? TryResolve(string text, out VariableName? variable)
    {
        variable = null;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        VariableScope? scope = dot < 0 ? null : text[..dot] switch
        {
            "proc" => VariableScope.Proc,
            "sess" => VariableScope.Session,
            "txn" => VariableScope.Transaction,
            "req" => VariableScope.Request,
            "res" => VariableScope.Response,
            _ => null,
        };
        if (scope is null)
        {
            return $"invalid variable name '{text}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'";
        }

        var name = text[(dot + 1)..];
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
        {
            return $"invalid variable name '{text}'. Only letters, digits, '_' and '.' are allowed";
        }

        lock (Known)
        {
            if (!Known.TryGetValue(text, out variable))
            {
                variable = new VariableName(scope.Value, name, NextSlot[(int)scope.Value]++);
                Known.Add(text, variable);
            }
        }

        return null;
    }

    public static int SlotCount(VariableScope scope)
    {
        lock (Known)
        {
            return NextSlot[(int)scope];
        }
    }
}

/// <summary>
/// The values of the variables of one session and its current transaction, plus the process-wide ones. Text
/// values are copied into buffers that each slot keeps and reuses.
/// </summary>
internal sealed class VariableStore
{
    private static readonly Slot[] ProcSlots = new Slot[256];
    private static readonly Lock ProcLock = new();
    private Slot[] _session = [];
    private Slot[] _transaction = [];
    private Slot[] _request = [];
    private Slot[] _response = [];

    public bool TryGet(VariableName variable, out Sample value)
    {
        if (variable.Scope == VariableScope.Proc)
        {
            lock (ProcLock)
            {
                return Read(ProcSlots, variable.Slot, out value);
            }
        }

        return Read(Slots(variable.Scope), variable.Slot, out value);
    }

    public void Set(VariableName variable, in Sample value)
    {
        if (variable.Scope == VariableScope.Proc)
        {
            if (variable.Slot >= ProcSlots.Length)
            {
                return;
            }

            lock (ProcLock)
            {
                ProcSlots[variable.Slot].Store(value, shared: true);
            }

            return;
        }

        ref var slots = ref SlotsRef(variable.Scope);
        if (variable.Slot >= slots.Length)
        {
            Array.Resize(ref slots, Math.Max(VariableNames.SlotCount(variable.Scope), variable.Slot + 1));
        }

        slots[variable.Slot].Store(value, shared: false);
    }

    public void Unset(VariableName variable)
    {
        if (variable.Scope == VariableScope.Proc)
        {
            lock (ProcLock)
            {
                if (variable.Slot < ProcSlots.Length)
                {
                    ProcSlots[variable.Slot].Present = false;
                }
            }

            return;
        }

        var slots = Slots(variable.Scope);
        if (variable.Slot < slots.Length)
        {
            slots[variable.Slot].Present = false;
        }
    }

    /// <summary>True when a session-scope variable is set.</summary>
    public bool HasSessionValues
    {
        get
        {
            foreach (ref readonly var slot in _session.AsSpan())
            {
                if (slot.Present)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Takes the session-scope values of <paramref name="other"/> (what `tcp-request session` rules set before the
    /// connection's first transaction), copying text into this store's own buffers.
    /// </summary>
    public void CopySessionFrom(VariableStore other)
    {
        var source = other._session;
        if (_session.Length < source.Length)
        {
            Array.Resize(ref _session, source.Length);
        }

        for (var i = 0; i < source.Length; i++)
        {
            if (source[i].Present)
            {
                _session[i].Store(source[i].Value, shared: false);
            }
        }
    }

    /// <summary>The request scope ends when the response starts being processed.</summary>
    public void ClearRequest() => Clear(_request);

    public void ClearTransaction()
    {
        Clear(_transaction);
        Clear(_request);
        Clear(_response);
    }

    public void ClearSession()
    {
        ClearTransaction();
        Clear(_session);
    }

    private static void Clear(Slot[] slots)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i].Present = false;
        }
    }

    private static bool Read(Slot[] slots, int slot, out Sample value)
    {
        if (slot < slots.Length && slots[slot].Present)
        {
            value = slots[slot].Value;
            return true;
        }

        value = default;
        return false;
    }

    private Slot[] Slots(VariableScope scope) => scope switch
    {
        VariableScope.Session => _session,
        VariableScope.Transaction => _transaction,
        VariableScope.Request => _request,
        _ => _response,
    };

    private ref Slot[] SlotsRef(VariableScope scope)
    {
        switch (scope)
        {
            case VariableScope.Session:
                return ref _session;
            case VariableScope.Transaction:
                return ref _transaction;
            case VariableScope.Request:
                return ref _request;
            default:
                return ref _response;
        }
    }

    private struct Slot
    {
        public bool Present;
        public Sample Value;
        private byte[]? _buffer;

        public void Store(in Sample value, bool shared)
        {
            Present = true;
            if (!value.IsText)
            {
                Value = value;
                return;
            }

            // A process-wide variable is read by other sessions while this one may overwrite it: give it a
            // buffer of its own each time instead of reusing one.
            if (shared || _buffer is null || _buffer.Length < value.Length)
            {
                _buffer = new byte[Math.Max(value.Length, shared ? value.Length : 64)];
            }

            value.Bytes.CopyTo(_buffer);
            Value = value.Type == SampleType.Bin
                ? Sample.FromBinary(_buffer, 0, value.Length)
                : Sample.FromString(_buffer, 0, value.Length);
        }
    }
}
