import Foundation
import TurkTools

exit(await ReviewCommand.main())
