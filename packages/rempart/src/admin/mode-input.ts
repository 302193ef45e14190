import { z } from 'zod';

// Body of PUT /api/mode: a mode to pin, or null to hand the mode back to detection.
export const modeInputSchema = z.object({ mode: z.enum(['normal', 'elevated', 'under-attack']).nullable() }).strict();
