using Sluice.Rules.Acls;

namespace Sluice.Rules.Samples;

/// <summary>How a map's keys are compared with the input: the suffix of `map_beg`, `map_ip`, ...</summary>
internal enum MapMatch : byte
{
    Str,
    Beg,
    End,
    Sub,
    Dir,
    Dom,
    Reg,
    Ip,
    Int,
}

/// <summary>`map*(file[,default])`: looks the input up in a map file and returns the value of the matching key.</summary>
internal sealed class MapConverter(MapFile map, SampleType output, Sample? fallback) : SampleConverter
{
    public override SampleType InputType => map.Current.Patterns.InputType;

    public override SampleType OutputType => output;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var current = map.Current;
        var index = current.Patterns.Match(ctx, sample);
        if (index < 0)
        {
            if (fallback is not { } value)
            {
                return false;
            }

            sample = value;
            return true;
        }

        sample = output == SampleType.Int ? current.IntegerValues[index] : Sample.FromString(current.Values[index]);
        return output != SampleType.Int || sample.Type == SampleType.Int;
    }
}
