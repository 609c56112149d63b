namespace Sluice.Rules.Samples;

/// <summary>
/// The captured values of one transaction (`capture request header`, `http-request capture`), one slot per
/// declared capture, each truncated to its declared length. Slot buffers are kept across the transactions of
/// a connection.
/// </summary>
internal sealed class CaptureStore
{
    private byte[][] _request = [];
    private int[] _requestLengths = [];
    private byte[][] _response = [];
    private int[] _responseLengths = [];

    // `capture cookie`: the request's cookie (`%CC`) at 0, the response's (`%CS`) at 1.
    private readonly byte[][] _cookies = [[], []];
    private readonly int[] _cookieLengths = [-1, -1];

    /// <summary>Sizes the slots for a frontend's declarations; -1 in a length marks an empty slot.</summary>
    public void Prepare(IReadOnlyList<int> requestSizes, IReadOnlyList<int> responseSizes)
    {
        Prepare(ref _request, ref _requestLengths, requestSizes);
        Prepare(ref _response, ref _responseLengths, responseSizes);
    }

    public int RequestCount => _requestLengths.Length;

    public int ResponseCount => _responseLengths.Length;

    public void Set(bool response, int slot, ReadOnlySpan<byte> value)
    {
        var (buffers, lengths) = response ? (_response, _responseLengths) : (_request, _requestLengths);
        if ((uint)slot >= (uint)lengths.Length)
        {
            return;
        }

        var kept = Math.Min(value.Length, buffers[slot].Length);
        value[..kept].CopyTo(buffers[slot]);
        lengths[slot] = kept;
    }

    /// <summary>The captured value, or false when the slot was not filled for this transaction.</summary>
    public bool TryGet(bool response, int slot, out Sample value)
    {
        var (buffers, lengths) = response ? (_response, _responseLengths) : (_request, _requestLengths);
        if ((uint)slot >= (uint)lengths.Length || lengths[slot] < 0)
        {
            value = default;
            return false;
        }

        value = Sample.FromString(buffers[slot], 0, lengths[slot]);
        return true;
    }

    /// <summary>Sizes the two cookie slots for a frontend's `capture cookie`.</summary>
    public void PrepareCookies(int length)
    {
        for (var i = 0; i < _cookies.Length; i++)
        {
            if (_cookies[i].Length != length)
            {
                _cookies[i] = new byte[length];
            }
        }
    }

    /// <summary>True when the side's cookie is captured already: HAProxy keeps the first one.</summary>
    public bool HasCookie(bool response) => _cookieLengths[response ? 1 : 0] >= 0;

    /// <summary>Keeps `name=value`, cut to the slot's length.</summary>
    public void SetCookie(bool response, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var index = response ? 1 : 0;
        var buffer = _cookies[index].AsSpan();
        var length = Math.Min(name.Length, buffer.Length);
        name[..length].CopyTo(buffer);
        if (length < buffer.Length)
        {
            buffer[length++] = (byte)'=';
            var kept = Math.Min(value.Length, buffer.Length - length);
            value[..kept].CopyTo(buffer[length..]);
            length += kept;
        }

        _cookieLengths[index] = length;
    }

    /// <summary>The captured cookie of a side (`%CC`, `%CS`), or false when none was.</summary>
    public bool TryGetCookie(bool response, out Sample value)
    {
        var index = response ? 1 : 0;
        if (_cookieLengths[index] < 0)
        {
            value = default;
            return false;
        }

        value = Sample.FromString(_cookies[index], 0, _cookieLengths[index]);
        return true;
    }

    public void Clear()
    {
        _cookieLengths[0] = _cookieLengths[1] = -1;
        Array.Fill(_requestLengths, -1);
        Array.Fill(_responseLengths, -1);
    }

    private static void Prepare(ref byte[][] buffers, ref int[] lengths, IReadOnlyList<int> sizes)
    {
        if (buffers.Length != sizes.Count)
        {
            buffers = new byte[sizes.Count][];
            lengths = new int[sizes.Count];
        }

        for (var i = 0; i < sizes.Count; i++)
        {
            if (buffers[i] is null || buffers[i].Length != sizes[i])
            {
                buffers[i] = new byte[sizes[i]];
            }

            lengths[i] = -1;
        }
    }
}
