namespace Sluice.Rules.Samples;

/// <summary>
/// A converter compiled with its arguments (`lower`, `field(2,:)`, `map(file)`): it transforms a sample in
/// place and returns false when the result does not exist, which drops the sample.
/// </summary>
internal abstract class SampleConverter
{
    /// <summary>The type the input is cast to before <see cref="Convert"/> runs.</summary>
    public abstract SampleType InputType { get; }

    public abstract SampleType OutputType { get; }

    public abstract bool Convert(SampleContext ctx, ref Sample sample);
}

/// <summary>The implicit casts between sample types that HAProxy applies between a fetch and a converter or a matcher.</summary>
internal static class SampleCasts
{
    /// <summary>Whether a value of <paramref name="from"/> can be used where <paramref name="to"/> is expected.</summary>
    public static bool CanCast(SampleType from, SampleType to) => (from, to) switch
    {
        _ when from == to => true,
        (_, SampleType.None) => true,
        // `var(...)` and `set-var(...)` have no type until they run: the cast is tried then.
        (SampleType.None, _) => true,
        (SampleType.Bool or SampleType.Int, SampleType.Bool or SampleType.Int or SampleType.Str or SampleType.Bin) => true,
        (SampleType.Address, SampleType.Str or SampleType.Bin or SampleType.Int) => true,
        (SampleType.Str, _) => true,
        (SampleType.Bin, SampleType.Str or SampleType.Bin) => true,
        _ => false,
    };

    /// <summary>Casts in place; false when the value cannot be read as the wanted type.</summary>
    public static bool TryCast(SampleContext ctx, ref Sample sample, SampleType to)
    {
        if (to == SampleType.None || sample.Type == to)
        {
            return true;
        }

        switch (to)
        {
            case SampleType.Int or SampleType.Bool:
                if (!sample.TryGetInteger(out var number))
                {
                    return false;
                }

                sample = to == SampleType.Bool ? Sample.FromBool(number != 0) : Sample.FromInt(number);
                return true;
            case SampleType.Address:
                if (!sample.TryGetAddress(out var address) || address is null)
                {
                    return false;
                }

                sample = Sample.FromAddress(address);
                return true;
            case SampleType.Bin when sample.Type is SampleType.Int or SampleType.Bool:
                // HAProxy's int-to-bin cast: the 64-bit value, big-endian.
                if (!ctx.TryReserve(8, out var eight, out var at))
                {
                    return false;
                }

                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(eight.AsSpan(at, 8), sample.Integer);
                sample = Sample.FromBinary(eight, at, 8);
                return true;
            case SampleType.Str or SampleType.Bin:
                if (sample.IsText)
                {
                    sample = to == SampleType.Bin ? sample.AsBinary() : Sample.FromString(sample.Buffer!, sample.Offset, sample.Length);
                    return true;
                }

                if (!ctx.TryReserve(48, out var buffer, out var offset) || !sample.TryFormat(buffer.AsSpan(offset, 48), out var written))
                {
                    return false;
                }

                ctx.Shrink(48 - written);
                sample = to == SampleType.Bin ? Sample.FromBinary(buffer, offset, written) : Sample.FromString(buffer, offset, written);
                return true;
            default:
                return false;
        }
    }
}
